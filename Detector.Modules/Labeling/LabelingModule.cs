using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Labeling.AssignNextItem;
using Detector.Modules.Labeling.AssignNextReview;
using Detector.Modules.Labeling.Authentication;
using Detector.Modules.Labeling.Contracts;
using Detector.Modules.Labeling.CreateLabeler;
using Detector.Modules.Labeling.DeleteLabeler;
using Detector.Modules.Labeling.GetItemImage;
using Detector.Modules.Labeling.GrantLabeler;
using Detector.Modules.Labeling.ListFeedback;
using Detector.Modules.Labeling.ListLabelerGrants;
using Detector.Modules.Labeling.ListLabelers;
using Detector.Modules.Labeling.RevokeLabelerGrant;
using Detector.Modules.Labeling.Sampling;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Labeling.SubmitFeedback;
using Detector.Modules.Labeling.SubmitLabels;
using Detector.Modules.Labeling.SubmitReview;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Rollouts.Contracts;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Labeling;

/// <summary>
/// The data loop's human half (issue 26, ADR 0023): feedback on served results, labelers and the
/// tenants' grants to them, the labeling queue and its sampler, consensus and review.
/// </summary>
public static class LabelingModule
{
    public static IHostApplicationBuilder AddLabeling(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<LabelingOptions>(LabelingOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FeedbackStore>();
        services.AddSingleton<LabelerStore>();
        services.AddSingleton<LabelerKeyGuard>();
        services.AddSingleton<GrantStore>();
        services.AddSingleton<ItemQueue>();
        services.AddSingleton<LabelSetStore>();
        services.AddSingleton<DisagreementStore>();
        services.AddSingleton<IShadowDisagreements>(sp => sp.GetRequiredService<DisagreementStore>());
        services.AddSingleton<IReviewedLabels, ReviewedLabels>();
        services.AddSingleton<TenantLabelingData>();
        services.AddSingleton<ITenantLabelingData>(sp => sp.GetRequiredService<TenantLabelingData>());
        services.AddSingleton<IImageReferences>(sp => sp.GetRequiredService<TenantLabelingData>());
        services.AddSingleton<ResultDeletions>();
        services.AddSingleton<IResultDeletionListener>(sp => sp.GetRequiredService<ResultDeletions>());
        services.AddHostedService<ResultDeletionWorker>();
        services.AddSingleton<Candidates>();
        services.AddSingleton<SamplerRound>();
        services.AddHostedService<LabelingSampler>();

        services.AddSingleton<SubmitFeedbackHandler>();
        services.AddSingleton<ListFeedbackHandler>();
        services.AddSingleton<CreateLabelerHandler>();
        services.AddSingleton<GrantLabelerHandler>();
        services.AddSingleton<AssignNextItemHandler>();
        services.AddSingleton<GetItemImageHandler>();
        services.AddSingleton<SubmitLabelsHandler>();
        services.AddSingleton<SubmitReviewHandler>();
        services.AddScoped<IValidator<SubmitFeedbackRequest>, SubmitFeedbackValidator>();
        services.AddScoped<IValidator<CreateLabelerRequest>, CreateLabelerValidator>();
        services.AddScoped<IValidator<LabelSetRequest>, LabelSetValidator>();

        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, LabelerKeyHandler>(LabelerKeyHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(LabelerClaims.LabelerPolicy, p => p.AddAuthenticationSchemes(LabelerKeyHandler.SchemeName).RequireClaim(LabelerClaims.LabelerIdClaim))
            .AddPolicy(LabelerClaims.ReviewerPolicy, p => p.AddAuthenticationSchemes(LabelerKeyHandler.SchemeName).RequireClaim(LabelerClaims.LabelerIdClaim).RequireRole(LabelerClaims.ReviewerRole));
        return builder;
    }

    public static IEndpointRouteBuilder MapLabelingEndpoints(this IEndpointRouteBuilder app)
    {
        var feedback = app.MapGroup("/v1/results/{id:guid}/feedback").WithTags("Feedback")
            .RequireAuthorization(TenantClaims.TenantPolicy).RequireRateLimiting(TenantClaims.RateLimitPolicy);
        feedback.MapPost("/", SubmitFeedbackEndpoint.Handle).Validate<SubmitFeedbackRequest>()
            .Audited("result.feedback", "id")
            .WithName("SubmitFeedback").WithSummary("Feedback on one of the calling tenant's results (box_added, box_removed, label_changed, result_wrong); queued says whether it may feed the labeling queue (the plan stores images and the image is stored).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        feedback.MapGet("/", ListFeedbackEndpoint.Handle)
            .WithName("ListFeedback").WithSummary("The feedback on one of the calling tenant's results, oldest first.");
        feedback.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);

        var admin = app.MapGroup("/v1/admin/labelers").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapPost("/", CreateLabelerEndpoint.Handle).Validate<CreateLabelerRequest>()
            .Audited("labeler.create")
            .WithName("CreateLabeler").WithSummary("Creates a labeler (role labeler or reviewer) and returns its X-Labeler-Key, shown only once.");
        admin.MapGet("/", ListLabelersEndpoint.Handle)
            .WithName("ListLabelers").WithSummary("Every labeler with its agreement statistics: items labeled, agreed with the other labeler, agreed with a reviewer's final boxes.");
        admin.MapDelete("/{id:guid}", DeleteLabelerEndpoint.Handle)
            .Audited("labeler.delete", "id")
            .WithName("DeleteLabeler").WithSummary("Deletes a labeler: its key stops at once, its grants and assignments go.");
        admin.ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        var grants = app.MapGroup("/v1/labeling/grants").WithTags("Labeling")
            .RequireAuthorization(TenantClaims.TenantPolicy).RequireRateLimiting(TenantClaims.RateLimitPolicy);
        grants.MapPut("/{labelerId:guid}", GrantLabelerEndpoint.Handle)
            .Audited("labeling.grant", "labelerId")
            .WithName("GrantLabeler").WithSummary("Lets a labeler label the calling tenant's stored images.");
        grants.MapDelete("/{labelerId:guid}", RevokeLabelerGrantEndpoint.Handle)
            .Audited("labeling.revoke", "labelerId")
            .WithName("RevokeLabelerGrant").WithSummary("Stops a labeler from seeing the calling tenant's items.");
        grants.MapGet("/", ListLabelerGrantsEndpoint.Handle)
            .WithName("ListLabelerGrants").WithSummary("The labelers the calling tenant granted.");
        grants.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);

        var labeling = app.MapGroup("/v1/labeling").WithTags("Labeling").RequireAuthorization(LabelerClaims.LabelerPolicy);
        labeling.MapPost("/next", AssignNextItemEndpoint.Handle)
            .WithName("AssignNextItem").WithSummary("Assigns the calling labeler its next item (of a tenant that granted it): id, image_url, width, height, the model's suggestions; 204 when there is none.");
        labeling.MapGet("/items/{id:guid}/image", GetItemImageEndpoint.Handle)
            .WithName("GetItemImage").WithSummary("The item's stored photo, to the labeler assigned it or a reviewer its tenant granted.");
        labeling.MapPost("/items/{id:guid}/labels", SubmitLabelsEndpoint.Handle).Validate<LabelSetRequest>()
            .WithName("SubmitLabels").WithSummary("The calling labeler's boxes for an item assigned to it; the second label set settles it (agreed: final, else disputed).");
        labeling.MapPost("/reviews/next", AssignNextReviewEndpoint.Handle).RequireAuthorization(LabelerClaims.ReviewerPolicy)
            .WithName("AssignNextReview").WithSummary("The next disputed item with both label sets, for a reviewer; 204 when there is none.");
        labeling.MapPost("/items/{id:guid}/review", SubmitReviewEndpoint.Handle).Validate<LabelSetRequest>().RequireAuthorization(LabelerClaims.ReviewerPolicy)
            .WithName("SubmitReview").WithSummary("A reviewer's final boxes for a disputed item.");
        labeling.ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }
}
