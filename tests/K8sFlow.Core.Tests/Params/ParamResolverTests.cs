using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Core.Params;

namespace K8sFlow.Core.Tests.Params;

public class ParamResolverTests
{
    private static readonly Dictionary<string, ParamSpec> Declarations = new()
    {
        ["dataset"] = new ParamSpec { Type = "string", Default = "wine", Enum = ["iris", "wine", "breast_cancer"] },
        ["threshold"] = new ParamSpec { Type = "number", Default = 0.8, Minimum = 0, Maximum = 1 },
        ["epochs"] = new ParamSpec { Type = "integer", Default = 3, Minimum = 1 },
        ["flag"] = new ParamSpec { Type = "boolean", Default = false },
        ["tags"] = new ParamSpec { Type = "array", Default = new JsonArray("a") },
        ["cfg"] = new ParamSpec { Type = "object" },
        ["run_date"] = new ParamSpec { Pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
        ["owner"] = new ParamSpec { Type = "string", Required = true },
    };

    private static Dictionary<string, JsonNode?> Run(params (string Name, JsonNode? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);

    private static Dictionary<string, string> AsJson(IReadOnlyDictionary<string, JsonNode?> values) =>
        values.ToDictionary(kv => kv.Key, kv => kv.Value?.ToJsonString() ?? "null");

    [Fact]
    public void Resolve_DefaultsThenRunParams_RunWins()
    {
        var result = ParamResolver.Resolve(Declarations, Run(("owner", "ana"), ("threshold", 0.9), ("cfg", new JsonObject { ["lr"] = 0.1 })));

        result.Errors.Should().BeEmpty();
        AsJson(result.Values).Should().Equal(new Dictionary<string, string>
        {
            ["dataset"] = "\"wine\"",
            ["threshold"] = "0.9",
            ["epochs"] = "3",
            ["flag"] = "false",
            ["tags"] = "[\"a\"]",
            ["cfg"] = "{\"lr\":0.1}",
            ["owner"] = "\"ana\"",
        });
    }

    [Fact]
    public void Resolve_NoDeclarationsNoParams_IsEmpty()
    {
        var result = ParamResolver.Resolve(null, null);

        result.Succeeded.Should().BeTrue();
        result.Values.Should().BeEmpty();
    }

    [Fact]
    public void Resolve_ReturnsCopies_NotTheDagsNodes()
    {
        var values = ParamResolver.Resolve(Declarations, Run(("owner", "ana"))).Values;

        values["tags"].Should().NotBeSameAs(Declarations["tags"].Default);
        new JsonObject { ["t"] = values["tags"] }.Should().NotBeNull("a resolved value can be put into another JSON document");
    }

    [Theory]
    [InlineData("datset", "\"iris\"", "param datset: unknown param (did you mean \"dataset\"?) (declared: dataset, threshold, epochs, flag, tags, cfg, run_date, owner)")]
    [InlineData("threshold", "\"high\"", "param threshold: expected a number, got \"high\"")]
    [InlineData("epochs", "2.5", "param epochs: expected an integer, got 2.5")]
    [InlineData("flag", "\"true\"", "param flag: expected a boolean, got \"true\"")]
    [InlineData("tags", "\"a,b\"", "param tags: expected an array, got \"a,b\"")]
    [InlineData("cfg", "[1]", "param cfg: expected an object, got [1]")]
    [InlineData("owner", "null", "param owner: expected a string, got null")]
    [InlineData("dataset", "\"mnist\"", "param dataset: \"mnist\" is not one of \"iris\", \"wine\", \"breast_cancer\"")]
    [InlineData("threshold", "1.5", "param threshold: 1.5 is above the maximum 1")]
    [InlineData("threshold", "-0.1", "param threshold: -0.1 is below the minimum 0")]
    [InlineData("epochs", "0", "param epochs: 0 is below the minimum 1")]
    [InlineData("run_date", "\"yesterday\"", "param run_date: \"yesterday\" does not match the pattern ^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    public void Resolve_BadRunParam_NamesTheParam(string name, string json, string expected)
    {
        var run = Run(("owner", "ana"));
        run[name] = JsonNode.Parse(json);

        var result = ParamResolver.Resolve(Declarations, run);

        result.Succeeded.Should().BeFalse();
        result.Errors.Select(e => e.ToString()).Should().Equal(expected);
    }

    [Fact]
    public void Resolve_RequiredMissing_NamesIt()
    {
        ParamResolver.Resolve(Declarations, null).Errors.Select(e => e.ToString())
            .Should().Equal("param owner: required param is missing (it has no default; set it, e.g. -p owner=...)");
    }

    [Fact]
    public void Resolve_IntegerWrittenAsWholeDouble_IsAnInteger()
    {
        ParamResolver.Resolve(Declarations, Run(("owner", "ana"), ("epochs", JsonNode.Parse("4.0")))).Succeeded.Should().BeTrue();
    }

    [Fact]
    public void Resolve_EnumOfNumbers_ComparesByValue()
    {
        var declarations = new Dictionary<string, ParamSpec> { ["k"] = new() { Type = "integer", Enum = [1, 2, 3] } };

        ParamResolver.Resolve(declarations, Run(("k", JsonNode.Parse("2")))).Succeeded.Should().BeTrue();
        ParamResolver.Resolve(declarations, Run(("k", 4))).Errors.Single().Message.Should().Be("4 is not one of 1, 2, 3");
    }

    [Fact]
    public void Resolve_BadDefault_SaysItIsTheDefault()
    {
        var declarations = new Dictionary<string, ParamSpec> { ["t"] = new() { Type = "number", Default = 5, Maximum = 1 } };

        ParamResolver.Resolve(declarations, null).Errors.Single().ToString().Should().Be("param t: default 5 is above the maximum 1");
    }

    [Fact]
    public void Resolve_PatternSearchesAnywhere_LikeJsonSchema()
    {
        var declarations = new Dictionary<string, ParamSpec> { ["s"] = new() { Pattern = "[0-9]" } };

        ParamResolver.Resolve(declarations, Run(("s", "abc1"))).Succeeded.Should().BeTrue();
    }

    [Theory]
    [InlineData("[", "invalid pattern [:")]
    [InlineData("(a)\\1", "pattern (a)\\1 uses backreferences or lookarounds, which are not supported")]
    public void TryCreatePattern_BadPattern_Explains(string pattern, string expectedStart)
    {
        ParamResolver.TryCreatePattern(pattern, out _, out var error).Should().BeFalse();
        error.Should().StartWith(expectedStart);
    }

    [Theory]
    [InlineData("threshold=0.9", "threshold", "0.9")]
    [InlineData("epochs=3", "epochs", "3")]
    [InlineData("epochs=-3", "epochs", "-3")]
    [InlineData("flag=true", "flag", "true")]
    [InlineData("flag=False", "flag", "false")]
    [InlineData("dataset=iris", "dataset", "\"iris\"")]
    [InlineData("dataset=", "dataset", "\"\"")]
    [InlineData("owner=a=b", "owner", "\"a=b\"")]
    [InlineData("run_date=2025-01-01", "run_date", "\"2025-01-01\"")]
    [InlineData("tags=[\"x\", 2]", "tags", "[\"x\",2]")]
    [InlineData("cfg={\"lr\": 0.1}", "cfg", "{\"lr\":0.1}")]
    public void ParseAssignments_TypesValueByDeclaration(string assignment, string name, string json)
    {
        var result = ParamResolver.ParseAssignments([assignment], Declarations);

        result.Errors.Should().BeEmpty();
        AsJson(result.Values).Should().Equal(new Dictionary<string, string> { [name] = json });
    }

    [Theory]
    [InlineData("threshold", "param threshold: expected NAME=VALUE, got \"threshold\"")]
    [InlineData("=3", "param =3: expected NAME=VALUE, got \"=3\"")]
    [InlineData("epoch=3", "param epoch: unknown param (did you mean \"epochs\"?) (declared: dataset, threshold, epochs, flag, tags, cfg, run_date, owner)")]
    [InlineData("epochs=three", "param epochs: expected an integer, got \"three\"")]
    [InlineData("epochs=2.5", "param epochs: expected an integer, got \"2.5\"")]
    [InlineData("threshold=high", "param threshold: expected a number, got \"high\"")]
    [InlineData("flag=yes", "param flag: expected a boolean, got \"yes\"")]
    [InlineData("tags=a,b", "param tags: expected an array as JSON (e.g. [1, 2]), got \"a,b\"")]
    [InlineData("tags={\"a\": 1}", "param tags: expected an array, got {\"a\":1}")]
    [InlineData("cfg=[1]", "param cfg: expected an object, got [1]")]
    public void ParseAssignments_Bad_NamesTheParam(string assignment, string expected)
    {
        ParamResolver.ParseAssignments([assignment], Declarations).Errors.Select(e => e.ToString()).Should().Equal(expected);
    }

    [Fact]
    public void ParseAssignments_ThenResolve_ChecksRanges()
    {
        var parsed = ParamResolver.ParseAssignments(["threshold=1.5", "owner=ana", "threshold=0.95"], Declarations);

        var resolved = ParamResolver.Resolve(Declarations, parsed.Values.ToDictionary());

        resolved.Succeeded.Should().BeTrue("the later assignment wins");
        resolved.Values["threshold"]!.GetValue<double>().Should().Be(0.95);
    }

    [Theory]
    [InlineData(new[] { "owner=ana", "threshold=0.9" }, "")]
    [InlineData(new[] { "owner=ana", "threshold=high" }, "param threshold: expected a number, got \"high\"")]
    [InlineData(new[] { "owner=ana", "threshold=1.5" }, "param threshold: 1.5 is above the maximum 1")]
    [InlineData(new[] { "threshold=0.9" }, "param owner: required")]
    public void CheckAssignments_ParsesThenResolves_KeepingOnlyTheAssignedValues(string[] assignments, string expected)
    {
        var result = ParamResolver.CheckAssignments(assignments, Declarations);

        string.Join("; ", result.Errors.Select(e => e.ToString())).Should().StartWith(expected);
        result.Succeeded.Should().Be(expected.Length == 0);
        if (result.Succeeded)
        {
            // The run's spec.params: what the user set, not the defaults (the controller resolves those).
            result.Values.Keys.Should().BeEquivalentTo("owner", "threshold");
        }
    }
}
