package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// getURL GETs a Function URL at the API port: by its Host form (u, as
// the API answered it, sent to the API port with that Host) and by its
// path form, and returns the status and body of each.
func getURL(t *testing.T, api, u, path, body string) (int, string) {
	t.Helper()
	method := http.MethodGet
	if body != "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if u != "" {
		req.Host = strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The Function URL operations through aws-sdk-go-v2: an uploaded
// function's URL is created, served on the API port (Host and path
// forms, unqualified and on an alias), updated, listed, kept across a
// restart and deleted; the template's URL is read-only.
func TestManageFunctionURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := serveManaged(t, dir)
	c := m.client
	chello := zipOf(t, map[string][]byte{"chello.wasm": readFile(t, "../samples/chello/chello.wasm")})
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("url-hello"), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("chello"), Code: &types.FunctionCode{ZipFile: chello},
	}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, "url-hello")

	// Not yet: 404 from the API, and the URL serves nothing.
	if _, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("url-hello")}); errorCode(err) != "ResourceNotFoundException" {
		t.Fatalf("GetFunctionUrlConfig before create: %v", err)
	}
	if _, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("url-hello"), AuthType: "NOPE"}); errorCode(err) != "InvalidParameterValueException" {
		t.Fatalf("CreateFunctionUrlConfig with a bad AuthType: %v", err)
	}

	created, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("url-hello"), AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://example.com"}, MaxAge: aws.Int32(60)},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := aws.ToString(created.FunctionUrl)
	if !strings.HasPrefix(u, "http://url-hello.lambda-url.us-east-1.localhost:") || created.InvokeMode != types.InvokeModeBuffered ||
		!strings.HasSuffix(aws.ToString(created.FunctionArn), ":function:url-hello") || aws.ToString(created.CreationTime) == "" {
		t.Fatalf("CreateFunctionUrlConfig = url %q, mode %s, arn %q, created %q", u, created.InvokeMode, aws.ToString(created.FunctionArn), aws.ToString(created.CreationTime))
	}
	if _, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("url-hello"), AuthType: types.FunctionUrlAuthTypeNone}); errorCode(err) != "ResourceConflictException" {
		t.Fatalf("second CreateFunctionUrlConfig: %v", err)
	}
	// The event is payload 2.0; chello reads its "name" (absent: world).
	for _, form := range []struct{ host, path string }{{u, "/"}, {"", "/lambda-url/url-hello/"}} {
		if status, body := getURL(t, m.api, form.host, form.path, `{"name":"Ada"}`); status != 200 || !strings.Contains(body, "Hello, world!") {
			t.Errorf("URL %q%s = %d %s", form.host, form.path, status, body)
		}
	}

	// On an alias: its own URL.
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("url-hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("url-hello"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("url-hello"), Qualifier: aws.String("1"), AuthType: types.FunctionUrlAuthTypeNone}); errorCode(err) != "InvalidParameterValueException" {
		t.Fatalf("URL on a version: %v", err)
	}
	if _, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("url-hello"), Qualifier: aws.String("nope"), AuthType: types.FunctionUrlAuthTypeNone}); errorCode(err) != "ResourceNotFoundException" {
		t.Fatalf("URL on a missing alias: %v", err)
	}
	live, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("url-hello"), Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	if lu := aws.ToString(live.FunctionUrl); !strings.HasPrefix(lu, "http://url-hello--live.lambda-url.") || !strings.HasSuffix(aws.ToString(live.FunctionArn), ":url-hello:live") {
		t.Fatalf("alias URL %q, arn %q", lu, aws.ToString(live.FunctionArn))
	}
	if status, body := getURL(t, m.api, "", "/lambda-url/url-hello:live/", ""); status != 200 || !strings.Contains(body, "Hello, world!") {
		t.Errorf("alias URL by path = %d %s", status, body)
	}

	// Update, list (paged), get.
	up, err := c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("url-hello"), InvokeMode: types.InvokeModeResponseStream})
	if err != nil {
		t.Fatal(err)
	}
	if up.InvokeMode != types.InvokeModeResponseStream || up.AuthType != types.FunctionUrlAuthTypeNone || up.Cors == nil || aws.ToInt32(up.Cors.MaxAge) != 60 || aws.ToString(up.LastModifiedTime) == "" {
		t.Errorf("UpdateFunctionUrlConfig = %+v", up)
	}
	var listed []string
	p := lambda.NewListFunctionUrlConfigsPaginator(c, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("url-hello"), MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.FunctionUrlConfigs {
			listed = append(listed, aws.ToString(u.FunctionArn)[strings.LastIndex(aws.ToString(u.FunctionArn), ":function:")+10:]+" "+string(u.InvokeMode))
		}
	}
	if strings.Join(listed, ",") != "url-hello RESPONSE_STREAM,url-hello:live BUFFERED" {
		t.Errorf("ListFunctionUrlConfigs = %v", listed)
	}

	// The template's URL: read, not changed.
	tu, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("TemplateHello")})
	if err != nil || tu.AuthType != types.FunctionUrlAuthTypeNone || !strings.Contains(aws.ToString(tu.FunctionUrl), "templatehello.lambda-url.") {
		t.Fatalf("template GetFunctionUrlConfig = %+v, %v", tu, err)
	}
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("TemplateHello")}); errorCode(err) != "ResourceConflictException" {
		t.Fatalf("deleting the template's URL: %v", err)
	}

	// A restart keeps them.
	m.stop()
	m = serveManaged(t, dir)
	c = m.client
	waitActive(t, c, "url-hello")
	got, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("url-hello")})
	if err != nil || got.InvokeMode != types.InvokeModeResponseStream || aws.ToString(got.CreationTime) != aws.ToString(created.CreationTime) {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	if status, body := getURL(t, m.api, "", "/lambda-url/url-hello/", ""); status != 200 || !strings.Contains(body, "Hello, world!") {
		t.Errorf("URL after restart = %d %s", status, body)
	}

	// Delete: the URL stops serving.
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("url-hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("url-hello")}); errorCode(err) != "ResourceNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
	status, body := getURL(t, m.api, "", "/lambda-url/url-hello/", "")
	var msg map[string]any
	json.Unmarshal([]byte(body), &msg)
	if status == 200 {
		t.Errorf("deleted URL still answers %d %s", status, body)
	}
}
