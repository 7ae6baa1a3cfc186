package cli

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// fresco generate-event SERVICE EVENT [flags] prints a sample event, as
// `sam local generate-event` does. Every event is a value of its
// aws-lambda-go events type, encoded as that type encodes itself, so what a
// Go handler decodes is exactly what was printed. The builders are in
// generate_events.go.

// genService is one SERVICE of generate-event.
type genService struct {
	name    string
	summary string
	events  []genEvent
}

// genEvent is one EVENT of a service.
type genEvent struct {
	name    string
	summary string
	// define registers the event's flags on fs and returns the function
	// that builds the event once they are parsed. ids supplies the values
	// that look random in real events.
	define func(fs *flag.FlagSet) func(ids *genIDSource) (any, error)
}

// genServices lists the services by name.
var genServices = []genService{
	{"apigateway", "Amazon API Gateway", []genEvent{
		{"aws-proxy", "a REST API proxy request (payload format 1.0)", defineAPIGatewayProxy},
		{"http-api-proxy", "an HTTP API proxy request (payload format 2.0)", defineAPIGatewayV2HTTP},
	}},
	{"cloudwatch", "Amazon CloudWatch Events (EventBridge)", []genEvent{
		{"scheduled-event", "a scheduled rule's event", defineScheduledEvent},
	}},
	{"dynamodb", "Amazon DynamoDB Streams", []genEvent{
		{"update", "a stream batch: one INSERT, one MODIFY, one REMOVE", defineDynamoDBUpdate},
	}},
	{"eventbridge", "Amazon EventBridge (the same events as cloudwatch)", []genEvent{
		{"scheduled-event", "a scheduled rule's event", defineScheduledEvent},
	}},
	{"s3", "Amazon S3", []genEvent{
		{"put", "an ObjectCreated:Put notification", defineS3Put},
	}},
	{"sns", "Amazon SNS", []genEvent{
		{"notification", "a notification delivered to a Lambda subscription", defineSNSNotification},
	}},
	{"sqs", "Amazon SQS", []genEvent{
		{"receive-message", "a batch of one received message", defineSQSReceiveMessage},
	}},
}

func runGenerateEvent(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || genIsHelp(args[0]) {
		genPrintServices(stdout)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		return &usageError{fmt.Sprintf("generate-event takes SERVICE EVENT before flags (services: %s)", genServiceNames())}
	}
	svc, ok := genLookupService(args[0])
	if !ok {
		return &usageError{fmt.Sprintf("unknown service %q (services: %s)", args[0], genServiceNames())}
	}
	args = args[1:]
	if len(args) == 0 || genIsHelp(args[0]) {
		genPrintEvents(stdout, svc)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		return &usageError{fmt.Sprintf("generate-event %s takes EVENT before flags (events: %s)", svc.name, svc.eventNames())}
	}
	ev, ok := svc.lookup(args[0])
	if !ok {
		return &usageError{fmt.Sprintf("unknown %s event %q (events: %s)", svc.name, args[0], svc.eventNames())}
	}
	synopsis := fmt.Sprintf("generate-event %s %s [flags]", svc.name, ev.name)
	fs := newFlagSet("generate-event", synopsis, stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fresco %s\n\nPrints %s (%s) as JSON.\n\nFlags:\n", synopsis, ev.summary, svc.summary)
		fs.PrintDefaults()
	}
	build := ev.define(fs)
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("generate-event %s %s takes no more arguments, got %q", svc.name, ev.name, rest)}
	}
	// The seed covers every flag's value, defaults included: the same
	// command prints the same event, and a different one gets other ids.
	// It leaves out the service, so that eventbridge and cloudwatch,
	// two names for the same events, print the same.
	seed := ev.name
	fs.VisitAll(func(f *flag.Flag) { seed += " --" + f.Name + "=" + strconv.Quote(f.Value.String()) })
	v, err := build(newGenIDSource(seed))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}

func genIsHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

func genLookupService(name string) (genService, bool) {
	for _, s := range genServices {
		if s.name == name {
			return s, true
		}
	}
	return genService{}, false
}

func (s genService) lookup(name string) (genEvent, bool) {
	for _, e := range s.events {
		if e.name == name {
			return e, true
		}
	}
	return genEvent{}, false
}

func genServiceNames() string {
	names := make([]string, len(genServices))
	for i, s := range genServices {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func (s genService) eventNames() string {
	names := make([]string, len(s.events))
	for i, e := range s.events {
		names[i] = e.name
	}
	return strings.Join(names, ", ")
}

func genPrintServices(w io.Writer) {
	fmt.Fprint(w, "Usage: fresco generate-event SERVICE EVENT [flags]\n\n"+
		"Prints a sample event as JSON, to edit or to pipe into 'fresco invoke NAME -e -'.\n\nServices:\n")
	for _, s := range genServices {
		fmt.Fprintf(w, "  %-12s %s\n", s.name, s.summary)
	}
	fmt.Fprint(w, "\nRun 'fresco generate-event SERVICE' for a service's events.\n")
}

func genPrintEvents(w io.Writer, s genService) {
	fmt.Fprintf(w, "Usage: fresco generate-event %s EVENT [flags]\n\n%s events:\n", s.name, s.summary)
	for _, e := range s.events {
		fmt.Fprintf(w, "  %-16s %s\n", e.name, e.summary)
	}
	fmt.Fprintf(w, "\nRun 'fresco generate-event %s EVENT --help' for an event's flags.\n", s.name)
}

// genIDSource derives the values that look random in real events (request
// ids, message ids, receipt handles, signatures) from a seed: SHA-256 in
// counter mode. The same seed always yields the same values.
type genIDSource struct {
	seed string
	n    int
	buf  []byte
}

func newGenIDSource(seed string) *genIDSource { return &genIDSource{seed: seed} }

func (s *genIDSource) read(n int) []byte {
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
func (s *genIDSource) uuid() string {
	b := s.read(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// hex returns n lowercase hexadecimal digits.
func (s *genIDSource) hex(n int) string { return hex.EncodeToString(s.read((n + 1) / 2))[:n] }

// base64 returns the standard base64 encoding of n bytes.
func (s *genIDSource) base64(n int) string { return base64.StdEncoding.EncodeToString(s.read(n)) }

const (
	genLowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	genUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	genUpperHex   = "0123456789ABCDEF"
	genDigits     = "0123456789"
)

// of returns n characters of alphabet.
func (s *genIDSource) of(alphabet string, n int) string {
	b := s.read(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// genScope is where a sample event happened: the flags --region,
// --partition and --account-id, which go into ARNs, hosts and accounts.
type genScope struct {
	region    string
	partition string
	account   string
	fs        *flag.FlagSet
}

var (
	genRegionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	genPartitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	genAccountRE   = regexp.MustCompile(`^[0-9]{12}$`)
)

const (
	genRegion  = "us-east-1"
	genAccount = "123456789012"
)

// register adds --region, and --partition and --account-id when the event
// carries them.
func (a *genScope) register(fs *flag.FlagSet, partition, account bool) {
	a.region, a.partition, a.account, a.fs = genRegion, "aws", genAccount, fs
	fs.StringVar(&a.region, "region", genRegion, "AWS region of the event")
	if partition {
		fs.StringVar(&a.partition, "partition", "aws", "AWS partition of the ARNs: aws, aws-cn, aws-us-gov, ... (cn-* and us-gov-* regions imply theirs)")
	}
	if account {
		fs.StringVar(&a.account, "account-id", genAccount, "AWS account id (12 digits)")
	}
}

func (a *genScope) validate() error {
	// Without --partition, the region's partition.
	if a.fs != nil && !genFlagsSet(a.fs)["partition"] {
		switch {
		case strings.HasPrefix(a.region, "cn-"):
			a.partition = "aws-cn"
		case strings.HasPrefix(a.region, "us-gov-"):
			a.partition = "aws-us-gov"
		}
	}
	switch {
	case !genRegionRE.MatchString(a.region):
		return &usageError{fmt.Sprintf("bad --region %q, want a region such as us-east-1", a.region)}
	case !genPartitionRE.MatchString(a.partition):
		return &usageError{fmt.Sprintf("bad --partition %q, want aws, aws-cn, aws-us-gov, ...", a.partition)}
	case !genAccountRE.MatchString(a.account):
		return &usageError{fmt.Sprintf("bad --account-id %q, want 12 digits", a.account)}
	}
	return nil
}

// arn returns arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
func (a *genScope) arn(service, resource string) string {
	return "arn:" + a.partition + ":" + service + ":" + a.region + ":" + a.account + ":" + resource
}

// dnsSuffix is the partition's domain for service endpoints.
func (a *genScope) dnsSuffix() string {
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

// genFlagsSet reports which flags were set on the command line.
func genFlagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
