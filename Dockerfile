# syntax=docker/dockerfile:1
# The K8sFlow operator image. The entrypoint is the CLI's operator command (`k8sflow operator`);
# the chart passes its flags as args. Multi-stage: the SDK image builds, the runtime is the
# chiseled (distroless: no shell, no package manager) ASP.NET image. It runs as UID/GID 65532,
# the chart's runAsUser; change both together (a test compares them).
ARG DOTNET_VERSION=10.0

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG TARGETARCH
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
# The NuGet cache survives between builds without a restore layer that lists every project.
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/K8sFlow.Cli -c Release -a "$TARGETARCH" --self-contained false -o /out

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble-chiseled
# Dag schedules name IANA time zones; chiseled images ship no tzdata, the SDK image does.
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
WORKDIR /app
COPY --from=build /out ./
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/app/k8sflow", "operator"]
