package genevent_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/emulator/genevent"
)

// genRun prints the event of service and event with args, as fresco
// generate-event SERVICE EVENT ARGS... does.
func genRun(t *testing.T, service, event string, args ...string) (string, error) {
	t.Helper()
	svc, ok := genevent.LookupService(service)
	if !ok {
		t.Fatalf("no service %s", service)
	}
	ev, ok := svc.Lookup(event)
	if !ok {
		t.Fatalf("no event %s %s", service, event)
	}
	fs := flag.NewFlagSet(event, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := ev.NewSample(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("%s %s %q: %v", service, event, args, err)
	}
	out, err := s.JSON()
	return string(out), err
}

// genMust is genRun's event decoded into v (unknown fields disallowed,
// nothing lost).
func genMust(t *testing.T, v any, service, event string, args ...string) {
	t.Helper()
	out, err := genRun(t, service, event, args...)
	if err != nil {
		t.Fatalf("%s %s %q: %v", service, event, args, err)
	}
	genRoundTrip(t, out, v)
}

func TestGenerateEventKinesisData(t *testing.T) {
	t.Parallel()
	data := "héllo\x00 binary \xff and {\"json\": 1}"
	var ev events.KinesisEvent
	genMust(t, &ev, "kinesis", "get-records", "--data", data, "--stream", "orders", "--partition-key", "pk-7",
		"--sequence", "49545115243490985018280067714973144582180062593244200961", "--count", "3", "--region", "eu-west-1")
	if len(ev.Records) != 3 {
		t.Fatalf("want 3 records, got %d", len(ev.Records))
	}
	for i, r := range ev.Records {
		if got := string(r.Kinesis.Data); got != data {
			t.Errorf("record %d: data %q, want %q", i, got, data)
		}
		if r.Kinesis.PartitionKey != "pk-7" || r.EventSourceArn != "arn:aws:kinesis:eu-west-1:123456789012:stream/orders" || r.AwsRegion != "eu-west-1" {
			t.Errorf("record %d: %+v", i, r)
		}
		want := []string{"49545115243490985018280067714973144582180062593244200961",
			"49545115243490985018280067714973144582180062593244200962",
			"49545115243490985018280067714973144582180062593244200963"}[i]
		if r.Kinesis.SequenceNumber != want || r.EventID != "shardId-000000000000:"+want {
			t.Errorf("record %d: sequence %s, event id %s, want %s", i, r.Kinesis.SequenceNumber, r.EventID, want)
		}
	}
	// On the wire the data is standard base64, as Kinesis sends it.
	out, _ := genRun(t, "kinesis", "get-records", "--data", "Hello, this is a test 123.")
	if !strings.Contains(out, `"data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4="`) {
		t.Errorf("data not base64 in:\n%s", out)
	}
}

func TestGenerateEventFirehoseData(t *testing.T) {
	t.Parallel()
	data := `{"ticker":"AMZN","price":181.5}` + "\n"
	var ev events.KinesisFirehoseEvent
	genMust(t, &ev, "kinesis", "kinesis-firehose", "--data", data, "--delivery-stream", "ticks", "--count", "2")
	if ev.DeliveryStreamArn != "arn:aws:firehose:us-east-1:123456789012:deliverystream/ticks" ||
		ev.SourceKinesisStreamArn != "arn:aws:kinesis:us-east-1:123456789012:stream/my-stream" || len(ev.Records) != 2 {
		t.Fatalf("event: %+v", ev)
	}
	for i, r := range ev.Records {
		if string(r.Data) != data {
			t.Errorf("record %d: data %q, want %q", i, r.Data, data)
		}
		if raw := base64.StdEncoding.EncodeToString([]byte(data)); !strings.Contains(genMustOut(t, "kinesis", "kinesis-firehose", "--data", data), `"data": "`+raw+`"`) {
			t.Errorf("data not base64 %s on the wire", raw)
		}
		if r.KinesisFirehoseRecordMetadata.PartitionKey != "partitionKey-03" || r.KinesisFirehoseRecordMetadata.ShardID == "" {
			t.Errorf("record %d: metadata %+v", i, r.KinesisFirehoseRecordMetadata)
		}
	}
	if ev.Records[0].RecordID == ev.Records[1].RecordID {
		t.Errorf("records share the id %s", ev.Records[0].RecordID)
	}
	// Direct PUT: no source stream.
	var direct events.KinesisFirehoseEvent
	genMust(t, &direct, "kinesis", "kinesis-firehose", "--source-stream", "")
	if direct.SourceKinesisStreamArn != "" || direct.Records[0].KinesisFirehoseRecordMetadata.SequenceNumber != "" ||
		direct.Records[0].KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.UnixMilli() != 0 {
		t.Errorf("Direct PUT event has a source: %+v", direct)
	}
}

func genMustOut(t *testing.T, service, event string, args ...string) string {
	t.Helper()
	out, err := genRun(t, service, event, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateEventCloudWatchLogs(t *testing.T) {
	t.Parallel()
	var ev events.CloudwatchLogsEvent
	genMust(t, &ev, "cloudwatch", "logs", "--log-group", "/aws/lambda/orders", "--message", "START RequestId: 1", "--message", "a <b> & c", "--account-id", "210987654321")
	// Decode it by hand: base64, then gzip, then JSON with no unknown field.
	zipped, err := base64.StdEncoding.DecodeString(ev.AWSLogs.Data)
	if err != nil {
		t.Fatalf("awslogs.data is not base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatalf("awslogs.data is not gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	var data events.CloudwatchLogsData
	genRoundTrip(t, string(raw), &data)
	if data.Owner != "210987654321" || data.LogGroup != "/aws/lambda/orders" || data.MessageType != "DATA_MESSAGE" ||
		len(data.SubscriptionFilters) != 1 || !strings.HasPrefix(data.LogStream, "2025/03/14/[$LATEST]") {
		t.Errorf("log data: %+v", data)
	}
	if len(data.LogEvents) != 2 || data.LogEvents[0].Message != "START RequestId: 1" || data.LogEvents[1].Message != "a <b> & c" ||
		data.LogEvents[0].ID == data.LogEvents[1].ID || data.LogEvents[0].Timestamp != 1741964966535 {
		t.Errorf("log events: %+v", data.LogEvents)
	}
	// aws-lambda-go's own decoder reads the same.
	parsed, err := ev.AWSLogs.Parse()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(parsed.LogEvents) != 2 || parsed.LogEvents[1].Message != "a <b> & c" {
		t.Errorf("Parse: %+v", parsed)
	}
	// The default is two messages.
	var def events.CloudwatchLogsEvent
	genMust(t, &def, "cloudwatch", "logs")
	if d, err := def.AWSLogs.Parse(); err != nil || len(d.LogEvents) != 2 {
		t.Errorf("default: %+v, %v", d, err)
	}
}

func TestGenerateEventSQSBatch(t *testing.T) {
	t.Parallel()
	var ev events.SQSEvent
	genMust(t, &ev, "sqs", "receive-message", "--count", "5", "--body", "job")
	if len(ev.Records) != 5 {
		t.Fatalf("want 5 messages, got %d", len(ev.Records))
	}
	seen := map[string]bool{}
	for _, m := range ev.Records {
		if seen[m.MessageId] || seen[m.ReceiptHandle] {
			t.Errorf("repeated id in %+v", m)
		}
		seen[m.MessageId], seen[m.ReceiptHandle] = true, true
		if m.Body != "job" || m.Md5OfBody != "9dddd5ce1b1375bc497feeb871842d4b" {
			t.Errorf("message %+v", m)
		}
	}
	var fifo events.SQSEvent
	genMust(t, &fifo, "sqs", "receive-message", "--count", "3", "--queue-name", "q.fifo")
	for i := 1; i < 3; i++ {
		prev, cur := fifo.Records[i-1].Attributes["SequenceNumber"], fifo.Records[i].Attributes["SequenceNumber"]
		if len(prev) != 20 || len(cur) != 20 || cur <= prev {
			t.Errorf("FIFO sequence numbers %s then %s", prev, cur)
		}
	}
}

func TestGenerateEventS3Delete(t *testing.T) {
	t.Parallel()
	var ev events.S3Event
	genMust(t, &ev, "s3", "delete", "--bucket", "my-photos", "--key", "holiday/beach 1.jpg")
	r := ev.Records[0]
	if r.EventName != "ObjectRemoved:Delete" || r.S3.Object.Key != "holiday/beach+1.jpg" || r.S3.Object.URLDecodedKey != "holiday/beach 1.jpg" ||
		r.S3.Object.Size != 0 || r.S3.Object.ETag != "" || r.S3.Object.Sequencer == "" {
		t.Errorf("record %+v", r)
	}
}

func TestGenerateEventAuthorizers(t *testing.T) {
	t.Parallel()
	var token events.APIGatewayCustomAuthorizerRequest
	genMust(t, &token, "apigateway", "authorizer", "--token", "Bearer abc", "--path", "/pets/7", "--method", "delete", "--partition", "aws-cn", "--region", "cn-north-1")
	if token.Type != "TOKEN" || token.AuthorizationToken != "Bearer abc" ||
		!strings.HasPrefix(token.MethodArn, "arn:aws-cn:execute-api:cn-north-1:123456789012:") || !strings.HasSuffix(token.MethodArn, "/prod/DELETE/pets/7") {
		t.Errorf("TOKEN: %+v", token)
	}
	var req events.APIGatewayCustomAuthorizerRequestTypeRequest
	genMust(t, &req, "apigateway", "request-authorizer", "--token", "t0k", "--path", "/pets/7", "--resource", "/pets/{id}", "--query", "a=1&a=2")
	if req.Type != "REQUEST" || req.Headers["Authorization"] != "t0k" || req.PathParameters["id"] != "7" ||
		req.MultiValueQueryStringParameters["a"][1] != "2" || req.RequestContext.ResourcePath != "/pets/{id}" ||
		req.MethodArn != "arn:aws:execute-api:us-east-1:123456789012:"+req.RequestContext.APIID+"/prod/GET/pets/7" {
		t.Errorf("REQUEST: %+v", req)
	}
	var v2 events.APIGatewayV2CustomAuthorizerV2Request
	genMust(t, &v2, "apigateway", "http-api-authorizer", "--token", "t0k", "--path", "/pets/7", "--resource", "/pets/{id}", "--stage", "dev")
	if v2.Version != "2.0" || v2.Type != "REQUEST" || len(v2.IdentitySource) != 1 || v2.IdentitySource[0] != "t0k" ||
		v2.Headers["authorization"] != "t0k" || v2.RouteKey != "GET /pets/{id}" || v2.PathParameters["id"] != "7" ||
		v2.RouteArn != "arn:aws:execute-api:us-east-1:123456789012:"+v2.RequestContext.APIID+"/dev/GET/pets/7" {
		t.Errorf("HTTP API: %+v", v2)
	}
}

func TestGenerateEventALB(t *testing.T) {
	t.Parallel()
	var single events.ALBTargetGroupRequest
	genMust(t, &single, "alb", "request", "--method", "get", "--query", "q=a%20b&tag=x&tag=y")
	if single.HTTPMethod != "GET" || single.Body != "" || single.QueryStringParameters["q"] != "a%20b" ||
		single.QueryStringParameters["tag"] != "y" || single.MultiValueHeaders != nil || single.Headers["x-forwarded-proto"] != "http" {
		t.Errorf("single-value: %+v", single)
	}
	var multi events.ALBTargetGroupRequest
	genMust(t, &multi, "alb", "request", "--multi-value", "--query", "tag=x&tag=y")
	if multi.Headers != nil || strings.Join(multi.MultiValueQueryStringParameters["tag"], ",") != "x,y" ||
		multi.MultiValueHeaders["content-type"][0] != "application/json" || multi.Body != `{"message":"hello world"}` {
		t.Errorf("multi-value: %+v", multi)
	}
}

func TestGenerateEventCognito(t *testing.T) {
	t.Parallel()
	var pre events.CognitoEventUserPoolsPreSignup
	genMust(t, &pre, "cognito-idp", "pre-signup", "--region", "eu-central-1", "--username", "ada", "--email", "ada@example.org")
	if pre.TriggerSource != "PreSignUp_SignUp" || !strings.HasPrefix(pre.UserPoolID, "eu-central-1_") || pre.UserName != "ada" ||
		pre.Request.UserAttributes["email"] != "ada@example.org" || pre.Response.AutoConfirmUser {
		t.Errorf("pre-signup: %+v", pre)
	}
	var post events.CognitoEventUserPoolsPostConfirmation
	genMust(t, &post, "cognito-idp", "post-confirmation", "--user-pool-id", "us-east-1_AbC123", "--client-id", "abc123")
	if post.TriggerSource != "PostConfirmation_ConfirmSignUp" || post.UserPoolID != "us-east-1_AbC123" || post.CallerContext.ClientID != "abc123" ||
		post.Request.UserAttributes["cognito:user_status"] != "CONFIRMED" || len(post.Request.UserAttributes["sub"]) != 36 {
		t.Errorf("post-confirmation: %+v", post)
	}
	var tok events.CognitoEventUserPoolsPreTokenGen
	genMust(t, &tok, "cognito-idp", "pre-token-generation", "--groups", "admins,editors")
	if tok.TriggerSource != "TokenGeneration_Authentication" || strings.Join(tok.Request.GroupConfiguration.GroupsToOverride, ",") != "admins,editors" {
		t.Errorf("pre-token-generation: %+v", tok)
	}
}

// TestGenerateEventUsageErrors checks that flag values the services would
// refuse are usage errors, not events.
func TestGenerateEventUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		service, event string
		args           []string
		want           string
	}{
		{"kinesis", "get-records", []string{"--stream", "bad name"}, "bad --stream"},
		{"kinesis", "get-records", []string{"--partition-key", ""}, "bad --partition-key"},
		{"kinesis", "get-records", []string{"--sequence", "12ab"}, "bad --sequence"},
		{"kinesis", "get-records", []string{"--count", "0"}, "bad --count"},
		{"kinesis", "get-records", []string{"--data", strings.Repeat("x", 1<<20+1)}, "1 MiB"},
		{"kinesis", "kinesis-firehose", []string{"--delivery-stream", strings.Repeat("d", 65)}, "bad --delivery-stream"},
		{"kinesis", "kinesis-firehose", []string{"--source-stream", "", "--partition-key", "k"}, "needs --source-stream"},
		{"kinesis", "kinesis-firehose", []string{"--count", "10001"}, "bad --count"},
		{"cloudwatch", "logs", []string{"--log-group", "no spaces allowed"}, "bad --log-group"},
		{"cloudwatch", "logs", []string{"--log-stream", "a:b"}, "bad --log-stream"},
		{"cloudwatch", "logs", []string{"--message", ""}, "bad --message"},
		{"cloudwatch", "logs", []string{"--account-id", "123"}, "bad --account-id"},
		{"sqs", "receive-message", []string{"--count", "10001"}, "bad --count"},
		{"sqs", "receive-message", []string{"--count", "100", "--body", strings.Repeat("b", 100<<10)}, "6 MB"},
		{"kinesis", "get-records", []string{"--count", "10", "--data", strings.Repeat("d", 1<<20)}, "6 MB"},
		{"kinesis", "kinesis-firehose", []string{"--count", "5", "--data", strings.Repeat("d", 1<<20)}, "6 MB"},
		{"apigateway", "authorizer", []string{"--stage", "$default"}, "bad --stage"},
		{"apigateway", "authorizer", []string{"--method", "G T"}, "bad --method"},
		{"sqs", "receive-message", []string{"--count", "11", "--queue-name", "q.fifo"}, "FIFO"},
		{"s3", "delete", []string{"--bucket", "Bad_Bucket"}, "bad --bucket"},
		{"s3", "delete", []string{"--key", ""}, "--key"},
		{"apigateway", "authorizer", []string{"--token", ""}, "--token"},
		{"apigateway", "authorizer", []string{"--path", "nope"}, "bad --path"},
		{"apigateway", "request-authorizer", []string{"--token", "a\nb"}, "bad --token"},
		{"apigateway", "request-authorizer", []string{"--path", "/a", "--resource", "/b"}, "does not match"},
		{"apigateway", "http-api-authorizer", []string{"--method", "G T"}, "bad --method"},
		{"alb", "request", []string{"--target-group", "-bad"}, "bad --target-group"},
		{"alb", "request", []string{"--query", "a=%zz"}, "bad --query"},
		{"alb", "request", []string{"--path", "x"}, "bad --path"},
		{"cognito-idp", "pre-signup", []string{"--user-pool-id", "nope"}, "bad --user-pool-id"},
		{"cognito-idp", "pre-signup", []string{"--user-pool-id", "eu-west-1_Abc", "--region", "us-east-1"}, "not in --region"},
		{"cognito-idp", "post-confirmation", []string{"--email", "nobody"}, "bad --email"},
		{"cognito-idp", "post-confirmation", []string{"--username", "two words"}, "bad --username"},
		{"cognito-idp", "pre-token-generation", []string{"--groups", "a,,b"}, "bad group"},
	} {
		out, err := genRun(t, c.service, c.event, c.args...)
		var ue *genevent.UsageError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, c.want) {
			t.Errorf("%s %s %q: want a usage error with %q, got %v\n%s", c.service, c.event, c.args, c.want, err, out)
		}
	}
}

// TestGenerateEventFlagsChangeIDs checks that a flag's value goes into the
// ids: two streams' records do not share an event id.
func TestGenerateEventFlagsChangeIDs(t *testing.T) {
	t.Parallel()
	var a, b events.KinesisEvent
	genMust(t, &a, "kinesis", "get-records", "--stream", "a")
	genMust(t, &b, "kinesis", "get-records", "--stream", "b")
	if a.Records[0].EventID == b.Records[0].EventID {
		t.Errorf("streams a and b share the event id %s", a.Records[0].EventID)
	}
}
