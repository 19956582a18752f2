using K8sFlow.Benchmarks;

return await BenchCommand.Create().Parse(args).InvokeAsync();
