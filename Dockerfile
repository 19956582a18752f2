# Placeholder image of the k8sflow CLI (multi-stage, non-root). Not built on the development
# machines, which have no container engine; the operator image comes with the operator.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/K8sFlow.Cli -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out ./
# The .NET images define the non-root user "app" and its id as APP_UID.
USER $APP_UID
ENTRYPOINT ["/app/k8sflow"]
