# syntax=docker/dockerfile:1
#
# Detector service image.
#   GPU (default): runtime on nvidia/cuda + cuDNN, so ONNX Runtime's CUDA execution provider works
#                  when the host has an NVIDIA GPU and the NVIDIA Container Toolkit (docker run --gpus all).
#     docker build -t detector .
#   CPU only (much smaller): runtime on the plain ASP.NET Core image.
#     docker build --build-arg RUNTIME_BASE=mcr.microsoft.com/dotnet/aspnet:10.0 -t detector:cpu .
#
# Models are not baked in: mount a folder of *.onnx files at /models (Models__Directory).

ARG RUNTIME_BASE=nvidia/cuda:12.8.0-cudnn-runtime-ubuntu24.04

# ---- build --------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Restore from the project files alone so the package layer is cached until they change.
COPY Directory.Build.props Directory.Packages.props global.json* NuGet.config* nuget.config* ./
COPY */*.csproj ./
RUN for f in *.csproj; do mkdir -p "${f%.csproj}" && mv "$f" "${f%.csproj}/"; done \
 && dotnet restore Detector.Web/Detector.Web.csproj
COPY . .
RUN dotnet publish Detector.Web/Detector.Web.csproj -c Release -o /app --no-restore -p:UseAppHost=false \
 && if [ -d db ] && [ ! -d /app/db ]; then cp -r db /app/db; fi

# ---- ASP.NET Core runtime to graft onto the CUDA base ---------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS aspnet

# ---- runtime ------------------------------------------------------------------------------
FROM ${RUNTIME_BASE} AS runtime
# Native dependencies of .NET (InvariantGlobalization is on, so no ICU), curl for HEALTHCHECK and
# the font of the evaluation report's plots (ScottPlot draws text with an installed font).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates curl fonts-dejavu-core libstdc++6 tzdata zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && groupadd --system --gid 10001 detector \
 && useradd --system --uid 10001 --gid detector --home-dir /app --no-create-home --shell /usr/sbin/nologin detector \
 && mkdir -p /data/images /data/model-artifacts /data/model-cache /models \
 && chown -R detector:detector /data

WORKDIR /app
COPY --from=build --chown=root:root /app ./

ENV DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_ROOT=/usr/share/dotnet \
    ASPNETCORE_URLS=http://+:8080 \
    Models__Directory=/models \
    Models__ArtifactDirectory=/data/model-artifacts \
    Models__ArtifactCacheDirectory=/data/model-cache \
    ImageStore__Path=/data/images

USER detector
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "Detector.Web.dll"]
