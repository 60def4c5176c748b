-- Calibrated scores (issue 25): a version's per-class temperature scaling, fitted by
-- `./detector calibrate` on a labelled dataset and kept with the version. NULL: not calibrated.
ALTER TABLE models.versions ADD COLUMN calibration jsonb;
