// Command pulumi-resource-random serves Pulumi's "random" package by bridging terraform-provider-random
// with pulumi-terraform-bridge. tools/toolchain.sh builds it on machines that can reach only the Go module
// proxy, which serves neither github.com/pulumi/pulumi-random/provider/v4 nor the bridge release that
// upstream uses (see docs/toolchain.md). It is written for this project, not taken from pulumi-random.
//
// Resource tokens follow the published package: random_password -> random:index/randomPassword:RandomPassword.
// The package schema is not generated (that needs the tfgen tool chain); GetSchema returns a stub, which
// `pulumi up/preview/destroy` never ask for.
package main

import (
	"context"
	"errors"
	"fmt"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/terraform-providers/terraform-provider-random/shim"
)

// version is set with -ldflags "-X main.version=..." to the plugin's registered version.
var version = "0.0.0-dev"

// idFromBase64 gives random_bytes (which has no "id" attribute) its ID: the generated value itself.
func idFromBase64(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes: no base64 in state")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", errors.New("random_bytes: base64 is not a string")
	}
	return resource.ID(v.StringValue()), nil
}

func main() {
	info := tfbridge.ProviderInfo{
		P:       pf.ShimProvider(shim.NewProvider()),
		Name:    "random",
		Version: version,
		// The plugin-framework bridge refuses to start without bridge metadata. Upstream embeds the
		// bridge-metadata.json its tfgen run writes (auto-aliasing history); an empty one means none.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_bytes": {ComputeID: idFromBase64},
		},
	}
	standard := tokens.MakeStandard("random")
	info.MustComputeTokens(tokens.SingleModule("random_", "index", func(module, name string) (string, error) {
		return standard(module, "Random"+name) // the published package keeps the prefix in its names
	}))
	schema := fmt.Sprintf(`{"name":"random","version":%q}`, version)
	pf.Main(context.Background(), "random", info, pf.ProviderMetadata{PackageSchema: []byte(schema)})
}
