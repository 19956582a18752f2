using System.ComponentModel.DataAnnotations;
using System.Reflection;
using K8sFlow.Core.Api;
using K8sFlow.Core.Params;
using K8sFlow.Core.Scheduling;

namespace K8sFlow.Core.Tests.Crds;

/// <summary>The CRD enums (checked at kubectl apply) list exactly the names the one parser of each field accepts.</summary>
public class CrdEnumTests
{
    public static TheoryData<Type, string, string[]> Fields => new()
    {
        { typeof(TaskSpec), nameof(TaskSpec.TriggerRule), [.. TriggerRules.Names] },
        { typeof(TaskSpec), nameof(TaskSpec.Type), [.. TaskTypes.All] },
        { typeof(DagSpec), nameof(DagSpec.Timetable), [.. TimetableKinds.Names] },
        { typeof(ParamSpec), nameof(ParamSpec.Type), [.. ParamTypes.All] },
        { typeof(DagRunSpec), nameof(DagRunSpec.RunType), [.. Names.RunTypes.All] },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public void AllowedValues_AreTheParsersNames(Type type, string property, string[] accepted)
    {
        var allowed = type.GetProperty(property)!.GetCustomAttribute<AllowedValuesAttribute>()!.Values;

        allowed.Should().Equal(accepted);
    }
}
