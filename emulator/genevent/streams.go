package genevent

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The events of streams: Kinesis Data Streams records, Kinesis Data
// Firehose transformation batches and CloudWatch Logs subscriptions. Their
// payloads are encoded as the services encode them: a record's data is
// base64 (aws-lambda-go's []byte), a log batch is gzipped JSON in base64.

var (
	// genStreamRE is Kinesis's and Firehose's rule for stream names.
	genStreamRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)
	// genSequenceRE is a Kinesis sequence number: up to 128 digits.
	genSequenceRE = regexp.MustCompile(`^[0-9]{1,128}$`)
	// genLogGroupRE is CloudWatch Logs' rule for log group names.
	genLogGroupRE = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
)

// genMaxRecordData is the largest data blob of a Kinesis or Firehose
// record: 1 MiB before base64 encoding.
const genMaxRecordData = 1 << 20

// genMaxPayload is the largest event Lambda invokes a function with from
// an event source mapping or a synchronous caller: 6 MB.
const genMaxPayload = 6 << 20

// genCheckBatch refuses a batch of count payloads of each bytes (as
// encoded in the event) that would be more than Lambda takes.
func genCheckBatch(count, each int) error {
	if total := int64(count) * int64(each); total > genMaxPayload {
		return usage("--count %d of %d bytes each is %d bytes, more than Lambda's 6 MB payload", count, each, total)
	}
	return nil
}

func defineKinesisGetRecords(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	stream := fs.String("stream", "my-stream", "stream name")
	partitionKey := fs.String("partition-key", "partitionKey-03", "partition key of the record")
	data := fs.String("data", "Hello, this is a test 123.", "record data, unencoded (the event carries it base64-encoded)")
	sequence := fs.String("sequence", "", "sequence number of the first record (default a 56-digit one)")
	count := fs.Int("count", 1, "records in the batch, with consecutive sequence numbers (1 to 10000)")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genStreamRE.MatchString(*stream) {
			return nil, usage("bad --stream %q, want up to 128 letters, digits, _, - and .", *stream)
		}
		if n := len(*partitionKey); n < 1 || n > 256 {
			return nil, usage("bad --partition-key %q, want 1 to 256 characters", *partitionKey)
		}
		if len(*data) > genMaxRecordData {
			return nil, usage("--data is %d bytes, more than a record's 1 MiB", len(*data))
		}
		if *count < 1 || *count > 10000 {
			return nil, usage("bad --count %d, want 1 to 10000", *count)
		}
		if err := genCheckBatch(*count, base64.StdEncoding.EncodedLen(len(*data))); err != nil {
			return nil, err
		}
		seq := *sequence
		if seq == "" {
			seq = "49" + ids.of(digits, 54)
		} else if !genSequenceRE.MatchString(seq) {
			return nil, usage("bad --sequence %q, want up to 128 digits", seq)
		}
		shard := "shardId-000000000000"
		records := make([]events.KinesisEventRecord, *count)
		for i := range records {
			n := genAddDecimal(seq, i)
			records[i] = events.KinesisEventRecord{
				AwsRegion:         scope.region,
				EventID:           shard + ":" + n,
				EventName:         "aws:kinesis:record",
				EventSource:       "aws:kinesis",
				EventSourceArn:    scope.arn("kinesis", "stream/"+*stream),
				EventVersion:      "1.0",
				InvokeIdentityArn: "arn:" + scope.partition + ":iam::" + scope.account + ":role/lambda-kinesis-role",
				Kinesis: events.KinesisRecord{
					// Whole milliseconds, as Kinesis has them.
					ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: genTime.Add(time.Duration(i) * time.Millisecond)},
					Data:                        []byte(*data),
					PartitionKey:                *partitionKey,
					SequenceNumber:              n,
					KinesisSchemaVersion:        "1.0",
				},
			}
		}
		return events.KinesisEvent{Records: records}, nil
	}
}

func defineKinesisFirehose(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	deliveryStream := fs.String("delivery-stream", "my-delivery-stream", "Firehose stream name")
	data := fs.String("data", "Hello, this is a test 123.", "record data, unencoded (the event carries it base64-encoded)")
	source := fs.String("source-stream", "my-stream", "Kinesis data stream the Firehose stream reads from; '' for Direct PUT (whose records aws-lambda-go still prints with an empty kinesisRecordMetadata)")
	partitionKey := fs.String("partition-key", "partitionKey-03", "partition key of the source stream's record (with --source-stream)")
	count := fs.Int("count", 1, "records in the batch (1 to 10000)")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genStreamRE.MatchString(*deliveryStream) || len(*deliveryStream) > 64 {
			return nil, usage("bad --delivery-stream %q, want up to 64 letters, digits, _, - and .", *deliveryStream)
		}
		if *source != "" && !genStreamRE.MatchString(*source) {
			return nil, usage("bad --source-stream %q, want up to 128 letters, digits, _, - and .", *source)
		}
		if flagsSet(fs)["partition-key"] && *source == "" {
			return nil, usage("--partition-key needs --source-stream: a Direct PUT record has none")
		}
		if n := len(*partitionKey); n < 1 || n > 256 {
			return nil, usage("bad --partition-key %q, want 1 to 256 characters", *partitionKey)
		}
		if len(*data) > genMaxRecordData {
			return nil, usage("--data is %d bytes, more than a record's 1 MiB", len(*data))
		}
		if *count < 1 || *count > 10000 {
			return nil, usage("bad --count %d, want 1 to 10000", *count)
		}
		if err := genCheckBatch(*count, base64.StdEncoding.EncodedLen(len(*data))); err != nil {
			return nil, err
		}
		ev := events.KinesisFirehoseEvent{
			InvocationID:      ids.uuid(),
			DeliveryStreamArn: scope.arn("firehose", "deliverystream/"+*deliveryStream),
			Region:            scope.region,
			Records:           make([]events.KinesisFirehoseEventRecord, *count),
		}
		if *source != "" {
			ev.SourceKinesisStreamArn = scope.arn("kinesis", "stream/"+*source)
		}
		recordID := "49" + ids.of(digits, 54)
		sequence := "49" + ids.of(digits, 54)
		for i := range ev.Records {
			arrival := events.MilliSecondsEpochTime{Time: genTime.Add(time.Duration(i) * time.Millisecond)}
			r := events.KinesisFirehoseEventRecord{
				RecordID:                    genAddDecimal(recordID, i),
				ApproximateArrivalTimestamp: arrival,
				Data:                        []byte(*data),
			}
			// aws-lambda-go's type has no way to leave the metadata out:
			// a Direct PUT record's is empty, at epoch 0.
			r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp = events.MilliSecondsEpochTime{Time: time.UnixMilli(0).UTC()}
			if *source != "" {
				r.KinesisFirehoseRecordMetadata = events.KinesisFirehoseRecordMetadata{
					ShardID:                     "shardId-000000000000",
					PartitionKey:                *partitionKey,
					SequenceNumber:              genAddDecimal(sequence, i),
					ApproximateArrivalTimestamp: arrival,
				}
			}
			ev.Records[i] = r
		}
		return ev, nil
	}
}

// messagesFlag is a repeatable flag: each use adds a message, the first
// replacing the defaults.
type messagesFlag struct {
	list []string
	set  bool
}

func (m *messagesFlag) String() string {
	if m == nil {
		return ""
	}
	b, _ := json.Marshal(m.list)
	return string(b)
}

func (m *messagesFlag) Set(s string) error {
	if !m.set {
		m.list, m.set = nil, true
	}
	m.list = append(m.list, s)
	return nil
}

// genMaxLogEvent is the largest log event CloudWatch Logs takes, in bytes.
const genMaxLogEvent = 1048550

func defineCloudWatchLogs(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, false, true)
	logGroup := fs.String("log-group", "/aws/lambda/my-function", "log group name")
	logStream := fs.String("log-stream", "", "log stream name (default a Lambda function's, of the event's day)")
	filter := fs.String("filter", "my-subscription-filter", "subscription filter name")
	messages := &messagesFlag{list: []string{"[ERROR] First test message", "[ERROR] Second test message"}}
	fs.Var(messages, "message", "a log event's message; repeat for more (default two)")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genLogGroupRE.MatchString(*logGroup) {
			return nil, usage("bad --log-group %q, want up to 512 letters, digits and ._-/#", *logGroup)
		}
		stream := *logStream
		if stream == "" {
			stream = genTime.Format("2006/01/02") + "/[$LATEST]" + ids.hex(32)
		} else if len(stream) > 512 || strings.ContainsAny(stream, ":*") {
			return nil, usage("bad --log-stream %q, want up to 512 characters, no : or *", stream)
		}
		if *filter == "" || len(*filter) > 512 || strings.ContainsAny(*filter, ":*") {
			return nil, usage("bad --filter %q, want 1 to 512 characters, no : or *", *filter)
		}
		data := events.CloudwatchLogsData{
			Owner:               scope.account,
			LogGroup:            *logGroup,
			LogStream:           stream,
			SubscriptionFilters: []string{*filter},
			MessageType:         "DATA_MESSAGE",
			LogEvents:           make([]events.CloudwatchLogsLogEvent, len(messages.list)),
		}
		id := ids.of(digits, 56)
		for i, m := range messages.list {
			if m == "" || len(m) > genMaxLogEvent {
				return nil, usage("bad --message: want 1 to %d bytes, got %d", genMaxLogEvent, len(m))
			}
			data.LogEvents[i] = events.CloudwatchLogsLogEvent{
				ID:        genAddDecimal(id, i),
				Timestamp: genTime.UnixMilli() + int64(i),
				Message:   m,
			}
		}
		encoded, err := genGzipBase64(data)
		if err != nil {
			return nil, err
		}
		return events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: encoded}}, nil
	}
}

// genGzipBase64 is v as CloudWatch Logs delivers a subscription's batch:
// JSON, gzipped, in base64.
func genGzipBase64(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode log data: %w", err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b) // no name, no modification time: the same bytes every run
	if _, err := zw.Write(raw); err != nil {
		return "", fmt.Errorf("gzip log data: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("gzip log data: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}
