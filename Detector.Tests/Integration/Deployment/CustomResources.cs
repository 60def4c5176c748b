using System.Text.Json.Serialization;
using k8s.Models;

namespace Detector.Tests.Integration.Deployment;

// The custom resources deploy/k8s uses, typed with the fields of their published schemas that the
// manifests may set (KEDA v2 ScaledObject and TriggerAuthentication, Gateway API v1 HTTPRoute).
// Loaded strictly like the built-in kinds: a field not declared here fails the load.
#pragma warning disable CA2227, CA1002 // settable lists: the YAML deserializer fills them

/// <summary>KEDA's ScaledObject (keda.sh/v1alpha1).</summary>
public sealed class ScaledObject
{
    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("metadata")] public V1ObjectMeta? Metadata { get; set; }
    [JsonPropertyName("spec")] public ScaledObjectSpec? Spec { get; set; }
}

public sealed class ScaledObjectSpec
{
    [JsonPropertyName("scaleTargetRef")] public ScaleTarget? ScaleTargetRef { get; set; }
    [JsonPropertyName("minReplicaCount")] public int? MinReplicaCount { get; set; }
    [JsonPropertyName("maxReplicaCount")] public int? MaxReplicaCount { get; set; }
    [JsonPropertyName("pollingInterval")] public int? PollingInterval { get; set; }
    [JsonPropertyName("cooldownPeriod")] public int? CooldownPeriod { get; set; }
    [JsonPropertyName("triggers")] public List<ScaleTrigger>? Triggers { get; set; }
}

public sealed class ScaleTarget
{
    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
}

public sealed class ScaleTrigger
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("metricType")] public string? MetricType { get; set; }
    [JsonPropertyName("authenticationRef")] public NameRef? AuthenticationRef { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, string>? Metadata { get; set; }
}

public sealed class NameRef
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
}

/// <summary>KEDA's TriggerAuthentication (keda.sh/v1alpha1), secrets by reference only.</summary>
public sealed class TriggerAuthentication
{
    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("metadata")] public V1ObjectMeta? Metadata { get; set; }
    [JsonPropertyName("spec")] public TriggerAuthenticationSpec? Spec { get; set; }
}

public sealed class TriggerAuthenticationSpec
{
    [JsonPropertyName("secretTargetRef")] public List<SecretTarget>? SecretTargetRef { get; set; }
}

public sealed class SecretTarget
{
    [JsonPropertyName("parameter")] public string? Parameter { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("key")] public string? Key { get; set; }
}

/// <summary>Gateway API's HTTPRoute (gateway.networking.k8s.io/v1).</summary>
public sealed class HttpRoute
{
    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("metadata")] public V1ObjectMeta? Metadata { get; set; }
    [JsonPropertyName("spec")] public HttpRouteSpec? Spec { get; set; }
}

public sealed class HttpRouteSpec
{
    [JsonPropertyName("parentRefs")] public List<ParentRef>? ParentRefs { get; set; }
    [JsonPropertyName("hostnames")] public List<string>? Hostnames { get; set; }
    [JsonPropertyName("rules")] public List<HttpRouteRule>? Rules { get; set; }
}

public sealed class ParentRef
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
    [JsonPropertyName("sectionName")] public string? SectionName { get; set; }
}

public sealed class HttpRouteRule
{
    [JsonPropertyName("matches")] public List<HttpRouteMatch>? Matches { get; set; }
    [JsonPropertyName("backendRefs")] public List<BackendRef>? BackendRefs { get; set; }
}

public sealed class HttpRouteMatch
{
    [JsonPropertyName("path")] public HttpPathMatch? Path { get; set; }
}

public sealed class HttpPathMatch
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("value")] public string? Value { get; set; }
}

public sealed class BackendRef
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("port")] public int? Port { get; set; }
    [JsonPropertyName("weight")] public int? Weight { get; set; }
}
