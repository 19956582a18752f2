using System.Text.Json.Nodes;
using K8sFlow.Core.Json;
using K8sFlow.LocalCluster.Patching;

namespace K8sFlow.LocalCluster.Tests.Units;

public sealed class JsonPatchingTests
{
    private static string Compact(string json) => JsonNode.Parse(json)!.ToJsonString();

    [Theory]
    // RFC 7386 appendix A examples.
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void MergePatch_FollowsRfc7386(string target, string patch, string expected) =>
        JsonMergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch))!.ToJsonString().Should().Be(Compact(expected));

    [Theory]
    [InlineData("""{"a":[1,2]}""", """[{"op":"add","path":"/a/-","value":3}]""", """{"a":[1,2,3]}""")]
    [InlineData("""{"a":[1,2]}""", """[{"op":"add","path":"/a/0","value":0}]""", """{"a":[0,1,2]}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"move","from":"/a/b","path":"/c"}]""", """{"a":{},"c":1}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"copy","from":"/a","path":"/c"}]""", """{"a":{"b":1},"c":{"b":1}}""")]
    [InlineData("""{"a/b":1}""", """[{"op":"replace","path":"/a~1b","value":2}]""", """{"a/b":2}""")]
    [InlineData("""{"a":1}""", """[{"op":"test","path":"/a","value":1},{"op":"remove","path":"/a"}]""", """{}""")]
    public void JsonPatch_AppliesRfc6902Operations(string document, string patch, string expected)
    {
        var result = JsonPatch.Apply(JsonNode.Parse(document), JsonNode.Parse(patch), out var error);

        error.Should().BeNull();
        result!.ToJsonString().Should().Be(Compact(expected));
    }

    [Theory]
    [InlineData("""[{"op":"remove","path":"/missing"}]""", false)]
    [InlineData("""[{"op":"test","path":"/a","value":2}]""", false)]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""", true)]
    [InlineData("""{"op":"add"}""", true)]
    public void JsonPatch_Failures_SayWhetherThePatchWasMalformed(string patch, bool malformed)
    {
        JsonPatch.Apply(JsonNode.Parse("""{"a":1}"""), JsonNode.Parse(patch), out var error);

        error.Should().NotBeNull();
        error!.Malformed.Should().Be(malformed);
    }

    [Fact]
    public void StrategicMerge_ReorderKeepsServerOnlyItemsInTheirSlots()
    {
        var original = JsonNode.Parse("""{"spec":{"containers":[{"name":"a"},{"name":"injected"},{"name":"b"}]}}""")!.AsObject();
        var patch = JsonNode.Parse("""{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}""")!.AsObject();

        var result = StrategicMergePatch.Apply(original, patch, BuiltInListStrategies.Instance, out var error);

        error.Should().BeNull();
        result["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).Should().Equal("b", "injected", "a");
    }

    [Fact]
    public void StrategicMerge_UnknownDirective_IsAnError()
    {
        StrategicMergePatch.Apply(new JsonObject(), JsonNode.Parse("""{"$patch":"explode"}""")!.AsObject(), BuiltInListStrategies.Instance, out var error);

        error.Should().Be("Unknown patch type: explode");
    }

    [Fact]
    public void FieldSet_RoundTripsThroughFieldsV1()
    {
        var obj = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"1"},"finalizers":["x"]},
             "spec":{"containers":[{"name":"main","image":"i","env":[{"name":"E","value":"v"}]}],"tolerations":[{"key":"k"}]}}
            """)!.AsObject();

        var fields = FieldSet.FromObject(obj, BuiltInListStrategies.Instance);
        var tree = fields.ToFieldsV1();

        tree["f:metadata"]!["f:name"].Should().BeNull("server-set identity is not owned");
        tree["f:metadata"]!["f:finalizers"]!["v:\"x\""].Should().NotBeNull();
        tree["f:spec"]!["f:containers"]!["k:{\"name\":\"main\"}"]!["."].Should().NotBeNull();
        tree["f:spec"]!["f:containers"]!["k:{\"name\":\"main\"}"]!["f:env"]!["k:{\"name\":\"E\"}"]!["f:value"].Should().NotBeNull();
        tree["f:spec"]!["f:tolerations"]!.AsObject().Count.Should().Be(0, "atomic lists are owned whole");
        FieldSet.FromFieldsV1(tree).Paths.Select(p => p.Key).Should().BeEquivalentTo(fields.Paths.Select(p => p.Key));
    }
}
