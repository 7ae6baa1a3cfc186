package build

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// aws-sdk-go-v2's clients send through their config's HTTPClient, by
// default an aws/transport/http.BuildableClient that builds its own
// *http.Transport with a net.Dialer: on wasip1 that dials Go's in-memory
// network and reaches nothing. So a wasm build that links that package
// uses a patched copy of the SDK's root module, selected like aws-lambda-go's
// (a replace in the generated go.mod; go.mod and the module cache stay as
// they are; go build's -overlay may not replace files of the module
// cache): BuildableClient's GetTransport is renamed frescoGetTransport, and
// an added file's GetTransport calls it, then registers the host (through
// http.DefaultTransport, which fresco's adapters and the unchanged-handler
// glue route through fresco_http) for the http and https schemes of the
// transport it returns, the one every client the SDK builds sends with.
// Every client the SDK builds (S3, DynamoDB, STS, Lambda, the credential
// and SSO clients) then goes through the host unchanged; a client given an
// HTTP client of the user's keeps it. See RATIONALE.md, "Unchanged
// handlers".
const (
	awsSDKModule      = "github.com/aws/aws-sdk-go-v2"
	awsSDKHTTPPackage = awsSDKModule + "/aws/transport/http"
	awsSDKClientFile  = "aws/transport/http/client.go"
	awsSDKHookFile    = "aws/transport/http/zz_fresco_host_transport.go"
)

//go:embed awssdk/host_transport.go.txt
var awsSDKHook []byte

// getTransport is BuildableClient's GetTransport declaration, as
// aws-sdk-go-v2 has written it for years.
var getTransport = regexp.MustCompile(`(?m)^func \(b \*BuildableClient\) GetTransport\(\) \*http\.Transport \{$`)

const getTransportRenamed = "func (b *BuildableClient) frescoGetTransport() *http.Transport {"

// awsSDKPatchSum names the patch in the build hash and the copy's
// directory.
var awsSDKPatchSum = func() string {
	h := sha256.New()
	hashFile(h, awsSDKHookFile, awsSDKHook)
	hashFile(h, "edit "+awsSDKClientFile, []byte(getTransport.String()+"\n"+getTransportRenamed))
	return hex.EncodeToString(h.Sum(nil))
}()

// awsSDKBuild is the patch of a wasm build that links aws-sdk-go-v2's HTTP
// transport package.
type awsSDKBuild struct {
	module *listedModule // aws-sdk-go-v2, as the main module selects it
	goMod  string        // the main module's go.mod
}

// awsSDKBuildFor returns the SDK's patch for the build of the package dir
// whose go list -deps output is pkgs, or nil when the build does not link
// the SDK's HTTP package or cannot take the patch (then its clients need
// config.WithHTTPClient(hosthttp.Client()), which the build says).
func (r *buildRun) awsSDKBuildFor(dir string, pkgs []*listedPackage, main *listedPackage) (*awsSDKBuild, error) {
	var p *listedPackage
	for _, q := range pkgs {
		if q.ImportPath == awsSDKHTTPPackage {
			p = q
			break
		}
	}
	if p == nil || p.Module == nil {
		return nil, nil
	}
	m := p.Module
	skip := func(why string) (*awsSDKBuild, error) {
		r.printf("%s: aws-sdk-go-v2's own HTTP client is not routed through the host (%s); "+
			"give its clients config.WithHTTPClient(hosthttp.Client()) (github.com/frescolabs/fresco/adapters/hosthttp)", displayPath(dir), why)
		return nil, nil
	}
	switch {
	case m.Main:
		return skip("aws-sdk-go-v2 is the main module")
	case main.Module == nil || main.Module.GoMod == "":
		return skip("the function is not in a Go module")
	case m.Dir == "" || (m.Version == "" && m.Replace == nil):
		return skip("go list gives no version or directory for it")
	case fileExists(filepath.Join(filepath.Dir(main.Module.GoMod), "vendor", "modules.txt")):
		return skip("the module has a vendor directory")
	}
	w, err := r.workspace(r.env, dir)
	if err != nil {
		return nil, err
	}
	if w != "" {
		return skip("workspace mode: " + w)
	}
	src, err := os.ReadFile(filepath.Join(m.Dir, filepath.FromSlash(awsSDKClientFile)))
	if err != nil {
		return nil, fmt.Errorf("aws-sdk-go-v2: %w", err)
	}
	if len(getTransport.FindAllIndex(src, -1)) != 1 {
		return skip("its BuildableClient has no GetTransport as fresco knows it")
	}
	return &awsSDKBuild{module: m, goMod: main.Module.GoMod}, nil
}

// dir returns the patched copy of aws-sdk-go-v2 the build uses.
func (b *awsSDKBuild) dir(r *buildRun, tmp string) (string, error) {
	version := b.module.Version
	if b.module.Replace != nil && b.module.Replace.Version != "" {
		version = b.module.Replace.Version
	}
	return r.patchedCopy(tmp, b.module, "awssdk", awsSDKPatchSum,
		"Patching aws-sdk-go-v2 "+version+": its HTTP client through the host", b.makeCopy)
}

// makeCopy copies the module's directory to dst and applies the patch.
func (b *awsSDKBuild) makeCopy(dst string) error {
	if err := copyModule(b.module.Dir, dst); err != nil {
		return err
	}
	client := filepath.Join(dst, filepath.FromSlash(awsSDKClientFile))
	src, err := os.ReadFile(client)
	if err != nil {
		return err
	}
	if len(getTransport.FindAllIndex(src, -1)) != 1 {
		return fmt.Errorf("%s changed: no GetTransport as fresco knows it", client)
	}
	if err := os.WriteFile(client, getTransport.ReplaceAll(src, []byte(getTransportRenamed)), 0o644); err != nil {
		return err
	}
	return writeFiles(dst, map[string][]byte{awsSDKHookFile: awsSDKHook})
}
