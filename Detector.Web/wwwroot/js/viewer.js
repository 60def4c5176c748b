// Draws a result's boxes over its photo. The SVG's viewBox is the photo's own pixel size, so boxes in
// the API's pixels (of the oriented photo, as the browser shows it) land exactly, at any display size.
const Palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const svgNs = 'http://www.w3.org/2000/svg';

export const colourOf = (classId) => Palette[((classId % Palette.length) + Palette.length) % Palette.length];

// boxes: false when the picture already has them drawn (the service's annotated.jpg).
export function show(imageUrl, result, elements, { boxes = true } = {}) {
  const { figure, image, svg, caption, table, timings } = elements;
  image.onload = () => {
    svg.setAttribute('viewBox', `0 0 ${image.naturalWidth} ${image.naturalHeight}`);
    drawBoxes(svg, boxes ? result.detections : [], Math.max(image.naturalWidth, image.naturalHeight));
  };
  image.src = imageUrl;
  image.alt = `The photo sent, with ${result.detections.length} objects detected`;
  figure.hidden = false;
  caption.textContent = `${result.model.name} ${result.model.version}: ${result.detections.length} objects`;
  fillTable(table, result.detections);
  fillTimings(timings, result.timings);
}

function drawBoxes(svg, detections, longSide) {
  svg.replaceChildren();
  const stroke = Math.max(2, Math.round(longSide / 320));
  const fontSize = Math.max(12, stroke * 6);
  detections.forEach((d, i) => {
    const [x1, y1, x2, y2] = d.box;
    const colour = colourOf(d.class_id);
    const group = document.createElementNS(svgNs, 'g');
    group.setAttribute('data-testid', 'box');
    group.dataset.index = i;
    const rect = document.createElementNS(svgNs, 'rect');
    Object.entries({ x: x1, y: y1, width: x2 - x1, height: y2 - y1, fill: 'none', stroke: colour, 'stroke-width': stroke }).forEach(([k, v]) => rect.setAttribute(k, v));
    const label = document.createElementNS(svgNs, 'text');
    label.setAttribute('x', x1 + stroke);
    label.setAttribute('y', Math.max(fontSize, y1 - stroke));
    // Presentation attributes, not a style attribute: the page's Content-Security-Policy allows no inline styles.
    Object.entries({ 'font-size': fontSize, 'paint-order': 'stroke', stroke: colour, 'stroke-width': stroke * 2 }).forEach(([k, v]) => label.setAttribute(k, v));
    label.textContent = `${d.label} ${d.score.toFixed(2)}`;
    group.append(rect, label);
    svg.append(group);
  });
}

function fillTable(table, detections) {
  const body = table.tBodies[0];
  body.replaceChildren(...detections.map((d) => {
    const row = document.createElement('tr');
    [d.label, d.score.toFixed(3), d.box.map((v) => v.toFixed(1)).join(', ')].forEach((text) => {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    });
    return row;
  }));
  table.hidden = false;
}

function fillTimings(list, timings) {
  const names = { decode_ms: 'Decode', queue_ms: 'Queue', inference_ms: 'Inference', postprocess_ms: 'Post-processing', total_ms: 'Total' };
  list.replaceChildren(...Object.entries(names).flatMap(([field, name]) => {
    const term = document.createElement('dt');
    term.textContent = name;
    const value = document.createElement('dd');
    value.textContent = `${(timings[field] ?? 0).toFixed(1)} ms`;
    return [term, value];
  }));
  list.hidden = false;
}
