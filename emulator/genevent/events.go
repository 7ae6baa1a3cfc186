package genevent

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The sample events of generate-event, one builder per event. Each builds
// a value of the aws-lambda-go type a Go handler would decode the event
// into; the shapes follow AWS's documentation of each service's event.

// genTime is when every sample event happens, so that output is stable.
var genTime = time.Date(2025, time.March, 14, 15, 9, 26, 535_000_000, time.UTC)

const (
	// sourceIP is the caller's address: TEST-NET-2, reserved for docs.
	sourceIP  = "198.51.100.7"
	userAgent = "curl/8.5.0"
)

// genBucketRE is S3's rule for bucket names (without the finer points
// such as no IP addresses).
var genBucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// genS3Key encodes an object key as S3 event notifications do: URL
// form encoding, spaces as +, slashes kept.
func genS3Key(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

func defineS3Put(fs *flag.FlagSet) func(*IDSource) (any, error) {
	return defineS3(fs, "ObjectCreated:Put")
}

func defineS3Delete(fs *flag.FlagSet) func(*IDSource) (any, error) {
	return defineS3(fs, "ObjectRemoved:Delete")
}

// defineS3 is the notification of one object's event: an ObjectCreated
// one carries the object's size and ETag, an ObjectRemoved one neither.
func defineS3(fs *flag.FlagSet, eventName string) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, false)
	bucket := fs.String("bucket", "example-bucket", "bucket name")
	key := fs.String("key", "test/key", "object key, unencoded (the event carries it URL-encoded)")
	created := strings.HasPrefix(eventName, "ObjectCreated:")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genBucketRE.MatchString(*bucket) {
			return nil, usage("bad --bucket %q, want 3 to 63 lowercase letters, digits, dots and hyphens", *bucket)
		}
		if *key == "" {
			return nil, &UsageError{"--key must not be empty"}
		}
		record := events.S3EventRecord{
			EventVersion:      "2.1",
			EventSource:       "aws:s3",
			AWSRegion:         scope.region,
			EventTime:         genTime,
			EventName:         eventName,
			PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:AIDA" + ids.of(upperAlnum, 17)},
			RequestParameters: events.S3RequestParameters{SourceIPAddress: sourceIP},
			ResponseElements: map[string]string{
				"x-amz-request-id": ids.of(upperHex, 16),
				"x-amz-id-2":       ids.base64(57),
			},
			S3: events.S3Entity{
				SchemaVersion:   "1.0",
				ConfigurationID: "fresco-sample-notification",
				Bucket: events.S3Bucket{
					Name:          *bucket,
					OwnerIdentity: events.S3UserIdentity{PrincipalID: "A" + ids.of(upperAlnum, 13)},
					Arn:           "arn:" + scope.partition + ":s3:::" + *bucket,
				},
				Object: events.S3Object{Key: genS3Key(*key), URLDecodedKey: *key},
			},
		}
		if created {
			record.S3.Object.Size = 1024
			record.S3.Object.ETag = ids.hex(32)
		}
		record.S3.Object.Sequencer = ids.of(upperHex, 18)
		return events.S3Event{Records: []events.S3EventRecord{record}}, nil
	}
}

var (
	genQueueRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$`)
	genTopicRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}(\.fifo)?$|^[A-Za-z0-9_-]{1,256}$`)
)

// genMaxSQSBatch is the largest batch Lambda takes from a standard queue
// (BatchSize); a FIFO queue's is 10.
const (
	genMaxSQSBatch     = 10000
	genMaxSQSFIFOBatch = 10
)

func defineSQSReceiveMessage(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	queue := fs.String("queue-name", "my-queue", "queue name")
	body := fs.String("body", "Hello from SQS!", "message body")
	count := fs.Int("count", 1, "messages in the batch, each with its own ids (1 to 10000; 10 for a FIFO queue)")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genQueueRE.MatchString(*queue) {
			return nil, usage("bad --queue-name %q, want up to 80 letters, digits, - and _", *queue)
		}
		fifo := strings.HasSuffix(*queue, ".fifo")
		switch {
		case fifo && (*count < 1 || *count > genMaxSQSFIFOBatch):
			return nil, usage("bad --count %d, want 1 to %d for a FIFO queue", *count, genMaxSQSFIFOBatch)
		case *count < 1 || *count > genMaxSQSBatch:
			return nil, usage("bad --count %d, want 1 to %d", *count, genMaxSQSBatch)
		}
		if err := genCheckBatch(*count, len(*body)); err != nil {
			return nil, err
		}
		sum := md5.Sum([]byte(*body))
		records := make([]events.SQSMessage, *count)
		sequence := ""
		for i := range records {
			sent := genTime.UnixMilli() + int64(i)
			attributes := map[string]string{
				"ApproximateReceiveCount":          "1",
				"SentTimestamp":                    strconv.FormatInt(sent, 10),
				"SenderId":                         "AIDA" + ids.of(upperAlnum, 17),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sent+17, 10),
			}
			if fifo {
				attributes["MessageGroupId"] = "group-1"
				attributes["MessageDeduplicationId"] = ids.hex(64)
				if i == 0 {
					sequence = "1" + ids.of(digits, 19)
				}
				attributes["SequenceNumber"] = genAddDecimal(sequence, i)
			}
			records[i] = events.SQSMessage{
				MessageId:         ids.uuid(),
				ReceiptHandle:     "AQEB" + ids.base64(132),
				Body:              *body,
				Md5OfBody:         hex.EncodeToString(sum[:]),
				Attributes:        attributes,
				MessageAttributes: map[string]events.SQSMessageAttribute{},
				EventSourceARN:    scope.arn("sqs", *queue),
				EventSource:       "aws:sqs",
				AWSRegion:         scope.region,
			}
		}
		return events.SQSEvent{Records: records}, nil
	}
}

// genAddDecimal adds n to the decimal number s, which may be longer than
// an int64 holds (as SQS and Kinesis sequence numbers are).
func genAddDecimal(s string, n int) string {
	var v big.Int
	v.SetString(s, 10)
	return v.Add(&v, big.NewInt(int64(n))).String()
}

// genARNRE splits an ARN into partition, service, region, account and
// resource.
var genARNRE = regexp.MustCompile(`^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$`)

func defineSNSNotification(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	topic := fs.String("topic", "ExampleTopic", "topic name, or topic ARN (which then sets region, partition and account)")
	message := fs.String("message", "Hello from SNS!", "message")
	subject := fs.String("subject", "Example subject", "subject")
	return func(ids *IDSource) (any, error) {
		name := *topic
		if m := genARNRE.FindStringSubmatch(*topic); m != nil {
			if m[2] != "sns" {
				return nil, usage("--topic %q is not an SNS topic ARN", *topic)
			}
			set := flagsSet(fs)
			for _, c := range []struct{ flag, arn, value string }{
				{"partition", m[1], scope.partition}, {"region", m[3], scope.region}, {"account-id", m[4], scope.account},
			} {
				if set[c.flag] && c.value != c.arn {
					return nil, usage("--%s %q contradicts --topic %q", c.flag, c.value, *topic)
				}
			}
			// The ARN says it all: nothing is inferred from flags.
			scope.partition, scope.region, scope.account, name = m[1], m[3], m[4], m[5]
			scope.fs = nil
		}
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genTopicRE.MatchString(name) {
			return nil, usage("bad --topic %q", *topic)
		}
		topicARN := scope.arn("sns", name)
		subscriptionARN := topicARN + ":" + ids.uuid()
		endpoint := "https://sns." + scope.region + "." + scope.dnsSuffix()
		return events.SNSEvent{Records: []events.SNSEventRecord{{
			EventVersion:         "1.0",
			EventSubscriptionArn: subscriptionARN,
			EventSource:          "aws:sns",
			SNS: events.SNSEntity{
				Signature:         ids.base64(256),
				MessageID:         ids.uuid(),
				Type:              "Notification",
				TopicArn:          topicARN,
				MessageAttributes: map[string]any{},
				SignatureVersion:  "1",
				Timestamp:         genTime,
				SigningCertURL:    endpoint + "/SimpleNotificationService-" + ids.hex(32) + ".pem",
				Message:           *message,
				UnsubscribeURL:    endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + subscriptionARN,
				Subject:           *subject,
			},
		}}}, nil
	}
}

func defineDynamoDBUpdate(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		s, n := events.NewStringAttribute, events.NewNumberAttribute
		keys := map[string]events.DynamoDBAttributeValue{"OrderId": s("order-1001")}
		placed := map[string]events.DynamoDBAttributeValue{
			"OrderId":  s("order-1001"),
			"Customer": s("ada@example.com"),
			"Status":   s("PLACED"),
			"Total":    n("42.50"),
			"Gift":     events.NewBooleanAttribute(false),
			"Tags":     events.NewStringSetAttribute([]string{"books", "priority"}),
			"Lines": events.NewListAttribute([]events.DynamoDBAttributeValue{
				events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"Sku": s("BK-0042"), "Qty": n("2")}),
			}),
			"Note": events.NewNullAttribute(),
		}
		shipped := map[string]events.DynamoDBAttributeValue{}
		for k, v := range placed {
			shipped[k] = v
		}
		shipped["Status"] = s("SHIPPED")
		shipped["ShippedAt"] = n(strconv.FormatInt(genTime.Unix(), 10))

		streamARN := scope.arn("dynamodb", "table/Orders/stream/"+genTime.Add(-72*time.Hour).Format("2006-01-02T15:04:05.000"))
		sequence := ids.of(digits, 17)
		record := func(i int, name string, old, new map[string]events.DynamoDBAttributeValue, size int64) events.DynamoDBEventRecord {
			return events.DynamoDBEventRecord{
				AWSRegion: scope.region,
				Change: events.DynamoDBStreamRecord{
					ApproximateCreationDateTime: events.SecondsEpochTime{Time: genTime.Truncate(time.Second).Add(time.Duration(i) * time.Second)},
					Keys:                        keys,
					NewImage:                    new,
					OldImage:                    old,
					SequenceNumber:              fmt.Sprintf("%s%04d", sequence, i+1),
					SizeBytes:                   size,
					StreamViewType:              "NEW_AND_OLD_IMAGES",
				},
				EventID:        ids.hex(32),
				EventName:      name,
				EventSource:    "aws:dynamodb",
				EventVersion:   "1.1",
				EventSourceArn: streamARN,
			}
		}
		return events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
			record(0, "INSERT", nil, placed, 142),
			record(1, "MODIFY", placed, shipped, 301),
			record(2, "REMOVE", shipped, nil, 176),
		}}, nil
	}
}

func defineScheduledEvent(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	rule := fs.String("rule", "ExampleSchedule", "name of the schedule rule")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if *rule == "" || strings.ContainsAny(*rule, " /:") {
			return nil, usage("bad --rule %q", *rule)
		}
		return events.CloudWatchEvent{
			Version:    "0",
			ID:         ids.uuid(),
			DetailType: "Scheduled Event",
			Source:     "aws.events",
			AccountID:  scope.account,
			Time:       genTime.Truncate(time.Minute),
			Region:     scope.region,
			Resources:  []string{scope.arn("events", "rule/"+*rule)},
			Detail:     json.RawMessage(`{}`),
		}, nil
	}
}
