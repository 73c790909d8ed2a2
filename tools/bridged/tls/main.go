// Command pulumi-resource-tls serves Pulumi's "tls" package by bridging terraform-provider-tls with
// pulumi-terraform-bridge. tools/toolchain.sh builds it on machines that can reach only the Go module
// proxy, which serves neither github.com/pulumi/pulumi-tls/provider/v5 nor the bridge release that
// upstream uses (see docs/toolchain.md). It is written for this project, not taken from pulumi-tls.
//
// Resource tokens follow the published package: tls_private_key -> tls:index/privateKey:PrivateKey.
// The package schema is not generated (that needs the tfgen tool chain); GetSchema returns a stub, which
// `pulumi up/preview/destroy` never ask for.
package main

import (
	"context"
	"fmt"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"

	"github.com/hashicorp/terraform-provider-tls/shim"
)

// version is set with -ldflags "-X main.version=..." to the plugin's registered version.
var version = "0.0.0-dev"

func main() {
	info := tfbridge.ProviderInfo{
		P:       pf.ShimProvider(shim.NewProvider()),
		Name:    "tls",
		Version: version,
		// The plugin-framework bridge refuses to start without bridge metadata. Upstream embeds the
		// bridge-metadata.json its tfgen run writes (auto-aliasing history); an empty one means none.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
		// As the published provider: a state without a schema version is read as version 0.
		EnableZeroDefaultSchemaVersion: true,
	}
	info.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))
	schema := fmt.Sprintf(`{"name":"tls","version":%q}`, version)
	pf.Main(context.Background(), "tls", info, pf.ProviderMetadata{PackageSchema: []byte(schema)})
}
