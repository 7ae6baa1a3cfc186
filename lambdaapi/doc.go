// Package lambdaapi is the folder of fresco's HTTP front doors, one package
// per protocol, over one shared edge. It holds no code of its own:
//
//   - [github.com/frescolabs/fresco/lambdaapi/invokeapi]: the Lambda Invoke
//     API (POST /2015-03-31/functions/{FunctionName}/invocations). It and
//     apigw invoke through internal/invoke's Backend and Handle, which the
//     core (emulator/functions) implements.
//   - [github.com/frescolabs/fresco/lambdaapi/runtimeapi]: the Lambda
//     Runtime API (2018-06-01) that process functions' bootstraps poll, over
//     a Runtime (emulator/procpool's queue).
//   - [github.com/frescolabs/fresco/lambdaapi/apigw]: API Gateway's Lambda
//     proxy integrations (REST and HTTP APIs), and the event builder
//     generate-event shares.
//   - [github.com/frescolabs/fresco/lambdaapi/apispec]: the API definition
//     vocabulary (APIs, routes, CORS, payload formats), without HTTP, for
//     apigw and the SAM parser.
//   - [github.com/frescolabs/fresco/lambdaapi/edge]: the HTTP plumbing the
//     three share: request ids, the access log, panic recovery, bounded
//     body reads and JSON answers.
//
// No package under lambdaapi imports wazero, wasmhost or emulator (tests
// excepted); apispec imports no net/http.
package lambdaapi
