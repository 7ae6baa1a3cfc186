module example.com/legacy

go 1.18

// The builder test sets the version; go.sum holds every version it tests.
require github.com/aws/aws-lambda-go v1.27.0
