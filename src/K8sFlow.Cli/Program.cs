// Placeholder entry point; the CLI commands are built in src/K8sFlow.Cli/Commands.
return 0;
