// Package manageapi serves Lambda's control plane: the operations of the
// Lambda service model (botocore data/lambda/2015-03-31/service-2.json)
// that create, read, change and delete functions, versions, aliases,
// concurrency and tags, with the model's routes, shapes, status codes and
// error names, so that the aws CLI, boto3 and aws-sdk-go-v2 deploy to
// fresco as to Lambda.
//
// It knows nothing of wasm: a [Backend] (the emulator) does the work. The
// handler serves on the Invoke API's listener: a request it has no route
// for goes to [Config.Fallback] (the Invoke API), and [Config.Extra] is
// where more operations mount (the Function URL configuration operations,
// CreateFunctionUrlConfig and the like, which come with Function URL
// serving).
package manageapi
