//go:build unix

package emulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestManageSurvivesKill: an acknowledged upload is kept. Four clients
// create functions (each a zip of its own) and update their code while
// fresco is killed with SIGKILL; the fresco started next on the same
// state directory has every function whose CreateFunction was answered,
// with the code of its last answered update, and each is Active and
// answers.
func TestManageSurvivesKill(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	template := filepath.Join("emulator", manageTemplate)
	var log1 syncBuffer
	cmd, url := startLogged(t, bin, &log1, "-t", template, "--data-dir", state)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c := lambdaClient(url)
	wasm := readFile(t, filepath.Join("..", "samples", "chello", "chello.wasm"))

	var (
		mu    sync.Mutex
		acked = map[string]string{} // function -> CodeSha256 of its last answered change
		sent  = map[string]string{} // function -> CodeSha256 of an update sent, maybe not answered
		n     atomic.Int64
		wg    sync.WaitGroup
		done  = make(chan struct{})
	)
	ctx := context.Background()
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				i := n.Add(1)
				name := fmt.Sprintf("f%04d", i)
				zip := zipOf(t, map[string][]byte{"chello.wasm": wasm, "id.txt": []byte(name)})
				out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String("r"),
					Handler: aws.String("chello"), Code: &types.FunctionCode{ZipFile: zip}})
				if err != nil {
					continue
				}
				mu.Lock()
				acked[name] = aws.ToString(out.CodeSha256)
				mu.Unlock()
				// A second change of code, once the first has compiled.
				for range 200 {
					f, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
					if err != nil || f.LastUpdateStatus != types.LastUpdateStatusInProgress {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				zip2 := zipOf(t, map[string][]byte{"chello.wasm": wasm, "id.txt": []byte(name + " v2")})
				sum := sha256.Sum256(zip2)
				mu.Lock()
				sent[name] = base64.StdEncoding.EncodeToString(sum[:])
				mu.Unlock()
				if up, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip2}); err == nil {
					mu.Lock()
					acked[name] = aws.ToString(up.CodeSha256)
					mu.Unlock()
				}
			}
		})
	}
	for {
		mu.Lock()
		k := len(acked)
		mu.Unlock()
		if k >= 50 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(done)
	wg.Wait()
	t.Logf("%d uploads answered of %d attempted before the kill", len(acked), n.Load())

	var log2 syncBuffer
	start := time.Now()
	cmd2, url2 := startLogged(t, bin, &log2, "-t", template, "--data-dir", state)
	defer func() { cmd2.Process.Kill(); cmd2.Wait() }()
	t.Logf("restart to serving, %d uploaded functions: %v", len(acked), time.Since(start))
	c = lambdaClient(url2)
	for name, sha := range acked {
		f, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Errorf("%s was acknowledged and is lost: %v", name, err)
			continue
		}
		// An update stored but killed before its answer may be there too.
		if got := aws.ToString(f.CodeSha256); got != sha && got != sent[name] || f.State != types.StateActive {
			t.Errorf("%s after the kill: code %s state %s, want code %s, Active", name, aws.ToString(f.CodeSha256), f.State, sha)
			continue
		}
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"name":"Ada"}`)})
		if err != nil || string(out.Payload) != `{"message":"Hello, Ada!"}` {
			t.Errorf("%s after the kill: %v %s", name, err, out.Payload)
		}
	}
	if t.Failed() {
		t.Logf("first run:\n%s\nsecond run:\n%s", log1.String(), log2.String())
	}
}
