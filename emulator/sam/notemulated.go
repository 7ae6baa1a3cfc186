package sam

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// notEmulatedProperties are the function properties fresco reads but does
// not act on, and what it does instead.
var notEmulatedProperties = []struct{ name, instead string }{
	{"Layers", "not applied: a wasm function's module carries all its code; a process function runs its CodeUri as it is"},
	{"ProvisionedConcurrencyConfig", "no effect: every invocation starts a fresh instance from the snapshot, in microseconds"},
	{"SnapStart", "no effect: every wasm function starts from a snapshot already"},
	{"DeadLetterQueue", "failed Events are not sent to it: use EventInvokeConfig's OnFailure destination to another function"},
	{"FileSystemConfigs", "no EFS is mounted: files are CodeUri's, at /var/task, and /tmp"},
	{"VpcConfig", "no VPC: the function reaches what the host reaches, within its egress policy"},
}

// notEmulated lists what function id's resolved Properties ask for that
// fresco does not do (globalLayers: Globals.Function has Layers): the
// properties above, and events other than Api, HttpApi, Schedule and
// ScheduleV2, which nothing delivers locally (schedules fire under fresco
// start --schedules; the emulator says so when they do not).
func notEmulated(id string, props json.RawMessage, globalLayers bool) []NotEmulated {
	var p map[string]json.RawMessage
	if json.Unmarshal(props, &p) != nil {
		return nil
	}
	var out []NotEmulated
	for _, n := range notEmulatedProperties {
		if raw, ok := p[n.name]; ok && string(raw) != "null" || n.name == "Layers" && globalLayers {
			out = append(out, NotEmulated{id, n.name, n.instead})
		}
	}
	var events map[string]struct {
		Type       string
		Properties map[string]json.RawMessage
	}
	if json.Unmarshal(p["Events"], &events) != nil {
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(events)) {
		typ := events[name].Type
		if isScheduleType(typ) {
			for _, n := range notEmulatedScheduleProperties {
				raw, ok := events[name].Properties[n.name]
				if !ok || string(raw) == "null" || n.name == "FlexibleTimeWindow" && offWindow(raw) {
					continue
				}
				out = append(out, NotEmulated{id, "event " + name + " (" + typ + ") " + n.name, n.instead})
			}
			continue
		}
		if _, ok := eventKinds[typ]; ok {
			continue
		}
		instead := "not delivered locally: invoke the function with a sample event"
		if cmd, ok := sampleEvents[typ]; ok {
			instead += ": fresco generate-event " + cmd + " | fresco invoke " + id + " -e -"
		}
		out = append(out, NotEmulated{id, "event " + name + " (" + typ + ")", instead})
	}
	return out
}

// notEmulatedScheduleProperties are the properties of Schedule and
// ScheduleV2 events that fresco reads but does not act on.
var notEmulatedScheduleProperties = []struct{ name, instead string }{
	{"DeadLetterConfig", "failed deliveries are not sent to it: a firing is an Event invocation, which EventInvokeConfig's OnFailure destination receives when it fails"},
	{"RetryPolicy", "not applied: a firing is an Event invocation, retried as EventInvokeConfig says (Lambda's default: 2 retries)"},
	{"FlexibleTimeWindow", "no window: the schedule fires at its times"},
}

// offWindow reports whether raw is a FlexibleTimeWindow of Mode OFF (or
// false: YAML 1.1 reads an unquoted OFF as a boolean).
func offWindow(raw json.RawMessage) bool {
	var w struct{ Mode any }
	if json.Unmarshal(raw, &w) != nil {
		return false
	}
	switch m := w.Mode.(type) {
	case string:
		return strings.EqualFold(m, "OFF")
	case bool:
		return !m
	}
	return false
}

// sampleEvents are the generate-event commands of the event sources that
// have one.
var sampleEvents = map[string]string{
	"S3":              "s3 put",
	"SQS":             "sqs receive-message",
	"SNS":             "sns notification",
	"DynamoDB":        "dynamodb update",
	"Schedule":        "cloudwatch scheduled-event",
	"ScheduleV2":      "eventbridge scheduled-event",
	"CloudWatchEvent": "cloudwatch scheduled-event",
	"EventBridgeRule": "eventbridge scheduled-event",
	"Kinesis":         "kinesis get-records",
	"CloudWatchLogs":  "cloudwatch logs",
	"Cognito":         "cognito-idp pre-signup",
}
