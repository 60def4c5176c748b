namespace Detector.Modules.Tenancy.CreateTenant;

internal sealed record CreateTenantRequest(string? Name);

internal sealed record CreateTenantResponse(Guid Id, string Name, string ApiKey, DateTime CreatedAt);
