using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Tests.Units;

public sealed class KubeJsonTests
{
    [Theory]
    [InlineData("""{"a":1,"b":{"c":[1,2]}}""", """{"b":{"c":[1,2]},"a":1}""", true)]
    [InlineData("""{"a":1}""", """{"a":1.0}""", true)]
    [InlineData("""{"a":[1,2]}""", """{"a":[2,1]}""", false)]
    [InlineData("""{"a":null}""", """{}""", false)]
    public void Equal_IgnoresPropertyOrder_NotListOrder(string left, string right, bool expected) =>
        KubeJson.Equal(JsonNode.Parse(left), JsonNode.Parse(right)).Should().Be(expected);

    [Theory]
    [InlineData("a: 1\nb: true\nc: ~\nd: '5'\ne: 1.5\nf: x", """{"a":1,"b":true,"c":null,"d":"5","e":1.5,"f":"x"}""")]
    [InlineData("""{"apiVersion":"v1","items":[1,"2"]}""", """{"apiVersion":"v1","items":[1,"2"]}""")]
    public void Yaml_DecodesWithTheCoreSchema(string yaml, string json) =>
        YamlJson.TryParse(yaml, out _)!.ToJsonString().Should().Be(JsonNode.Parse(json)!.ToJsonString());
}
