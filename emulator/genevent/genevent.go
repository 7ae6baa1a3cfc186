package genevent

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/frescolabs/fresco/internal/invoke"
)

// UsageError is a flag value that the event cannot take; the CLI reports it
// as a usage error.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usage(format string, a ...any) *UsageError { return &UsageError{fmt.Sprintf(format, a...)} }

// Service is one SERVICE of generate-event.
type Service struct {
	Name    string
	Summary string
	Events  []Event
}

// Event is one EVENT of a service.
type Event struct {
	Name    string
	Summary string
	// define registers the event's flags on fs and returns the function
	// that builds the event once they are parsed. ids supplies the values
	// that look random in real events.
	define func(fs *flag.FlagSet) func(ids *IDSource) (any, error)
}

// Services lists the services by name.
var Services = []Service{
	{"alb", "Elastic Load Balancing (Application Load Balancer)", []Event{
		{"request", "a request to a Lambda target group", defineALBRequest},
	}},
	{"apigateway", "Amazon API Gateway", []Event{
		{"authorizer", "a TOKEN authorizer's request (REST API)", defineAPIGatewayTokenAuthorizer},
		{"aws-proxy", "a REST API proxy request (payload format 1.0)", defineAPIGatewayProxy},
		{"http-api-authorizer", "a REQUEST authorizer's request (HTTP API, payload format 2.0)", defineAPIGatewayHTTPAPIAuthorizer},
		{"http-api-proxy", "an HTTP API proxy request (payload format 2.0)", defineAPIGatewayV2HTTP},
		{"request-authorizer", "a REQUEST authorizer's request (REST API)", defineAPIGatewayRequestAuthorizer},
	}},
	{"cloudwatch", "Amazon CloudWatch Events (EventBridge) and Logs", []Event{
		{"logs", "a log subscription's batch (gzipped, base64)", defineCloudWatchLogs},
		{"scheduled-event", "a scheduled rule's event", defineScheduledEvent},
	}},
	{"cognito-idp", "Amazon Cognito user pools' triggers", []Event{
		{"post-confirmation", "PostConfirmation_ConfirmSignUp", defineCognitoPostConfirmation},
		{"pre-signup", "PreSignUp_SignUp", defineCognitoPreSignup},
		{"pre-token-generation", "TokenGeneration_Authentication (version 1)", defineCognitoPreTokenGen},
	}},
	{"dynamodb", "Amazon DynamoDB Streams", []Event{
		{"update", "a stream batch: one INSERT, one MODIFY, one REMOVE", defineDynamoDBUpdate},
	}},
	{"eventbridge", "Amazon EventBridge (the same events as cloudwatch)", []Event{
		{"scheduled-event", "a scheduled rule's event", defineScheduledEvent},
	}},
	{"kinesis", "Amazon Kinesis Data Streams and Data Firehose", []Event{
		{"get-records", "a batch of stream records", defineKinesisGetRecords},
		{"kinesis-firehose", "a Firehose stream's batch to transform", defineKinesisFirehose},
	}},
	{"s3", "Amazon S3", []Event{
		{"delete", "an ObjectRemoved:Delete notification", defineS3Delete},
		{"put", "an ObjectCreated:Put notification", defineS3Put},
	}},
	{"sns", "Amazon SNS", []Event{
		{"notification", "a notification delivered to a Lambda subscription", defineSNSNotification},
	}},
	{"sqs", "Amazon SQS", []Event{
		{"receive-message", "a batch of received messages (--count, default one)", defineSQSReceiveMessage},
	}},
}

// LookupService returns the service of that name.
func LookupService(name string) (Service, bool) {
	for _, s := range Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// Lookup returns the service's event of that name.
func (s Service) Lookup(name string) (Event, bool) {
	for _, e := range s.Events {
		if e.Name == name {
			return e, true
		}
	}
	return Event{}, false
}

// ServiceNames lists the services' names, comma-separated.
func ServiceNames() string {
	names := make([]string, len(Services))
	for i, s := range Services {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// EventNames lists the service's events' names, comma-separated.
func (s Service) EventNames() string {
	names := make([]string, len(s.Events))
	for i, e := range s.Events {
		names[i] = e.Name
	}
	return strings.Join(names, ", ")
}

// Sample is one event to print: its flags, registered on a FlagSet, and
// its builder.
type Sample struct {
	ev    Event
	fs    *flag.FlagSet
	build func(ids *IDSource) (any, error)
}

// NewSample registers the event's flags on fs. Once fs is parsed,
// [Sample.JSON] builds the event.
func (e Event) NewSample(fs *flag.FlagSet) *Sample {
	return &Sample{ev: e, fs: fs, build: e.define(fs)}
}

// JSON builds the event and returns it as generate-event prints it:
// indented, HTML characters as themselves, ending in a newline. A flag value
// the event cannot take is a *UsageError.
//
// The values that look random are derived from a seed that covers every
// flag's value, defaults included: the same command prints the same event,
// and a different one gets other ids. It leaves out the service, so that
// eventbridge and cloudwatch, two names for the same events, print the
// same.
func (s *Sample) JSON() ([]byte, error) {
	seed := s.ev.Name
	s.fs.VisitAll(func(f *flag.Flag) { seed += " --" + f.Name + "=" + strconv.Quote(f.Value.String()) })
	v, err := s.build(NewIDSource(seed))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b.Bytes(), nil
}

// IDSource derives the values that look random in real events (request
// ids, message ids, receipt handles, signatures) from a seed: SHA-256 in
// counter mode. The same seed always yields the same values.
type IDSource struct {
	seed string
	n    int
	buf  []byte
}

// NewIDSource returns the IDSource of seed.
func NewIDSource(seed string) *IDSource { return &IDSource{seed: seed} }

func (s *IDSource) read(n int) []byte {
	for len(s.buf) < n {
		s.n++
		sum := sha256.Sum256([]byte(s.seed + "\x00" + strconv.Itoa(s.n)))
		s.buf = append(s.buf, sum[:]...)
	}
	out := s.buf[:n:n]
	s.buf = s.buf[n:]
	return out
}

// uuid returns a version 4 UUID, as AWS's request and message ids are.
func (s *IDSource) uuid() string {
	b := s.read(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// hex returns n lowercase hexadecimal digits.
func (s *IDSource) hex(n int) string { return hex.EncodeToString(s.read((n + 1) / 2))[:n] }

// base64 returns the standard base64 encoding of n bytes.
func (s *IDSource) base64(n int) string { return base64.StdEncoding.EncodeToString(s.read(n)) }

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	upperHex   = "0123456789ABCDEF"
	digits     = "0123456789"
)

// of returns n characters of alphabet.
func (s *IDSource) of(alphabet string, n int) string {
	b := s.read(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// scope is where a sample event happened: the flags --region,
// --partition and --account-id, which go into ARNs, hosts and accounts.
type scope struct {
	region    string
	partition string
	account   string
	fs        *flag.FlagSet
}

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
)

const defaultRegion = invoke.DefaultRegion

// register adds --region, and --partition and --account-id when the event
// carries them.
func (a *scope) register(fs *flag.FlagSet, partition, account bool) {
	a.region, a.partition, a.account, a.fs = defaultRegion, "aws", invoke.DefaultAccountID, fs
	fs.StringVar(&a.region, "region", defaultRegion, "AWS region of the event")
	if partition {
		fs.StringVar(&a.partition, "partition", "aws", "AWS partition of the ARNs: aws, aws-cn, aws-us-gov, ... (cn-* and us-gov-* regions imply theirs)")
	}
	if account {
		fs.StringVar(&a.account, "account-id", invoke.DefaultAccountID, "AWS account id (12 digits)")
	}
}

func (a *scope) validate() error {
	// Without --partition, the region's partition.
	if a.fs != nil && !flagsSet(a.fs)["partition"] {
		switch {
		case strings.HasPrefix(a.region, "cn-"):
			a.partition = "aws-cn"
		case strings.HasPrefix(a.region, "us-gov-"):
			a.partition = "aws-us-gov"
		}
	}
	switch {
	case !regionRE.MatchString(a.region):
		return usage("bad --region %q, want a region such as us-east-1", a.region)
	case !partitionRE.MatchString(a.partition):
		return usage("bad --partition %q, want aws, aws-cn, aws-us-gov, ...", a.partition)
	case !accountRE.MatchString(a.account):
		return usage("bad --account-id %q, want 12 digits", a.account)
	}
	return nil
}

// arn returns arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
func (a *scope) arn(service, resource string) string {
	return "arn:" + a.partition + ":" + service + ":" + a.region + ":" + a.account + ":" + resource
}

// dnsSuffix is the partition's domain for service endpoints.
func (a *scope) dnsSuffix() string {
	switch a.partition {
	case "aws-cn":
		return "amazonaws.com.cn"
	case "aws-iso":
		return "c2s.ic.gov"
	case "aws-iso-b":
		return "sc2s.sgov.gov"
	}
	return "amazonaws.com"
}

// flagsSet reports which flags were set on the command line.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
