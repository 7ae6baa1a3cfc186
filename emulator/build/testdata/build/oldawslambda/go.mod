module example.com/oldawslambda

go 1.26

require github.com/aws/aws-lambda-go v1.0.0

// A stand-in for an aws-lambda-go version that lacks the internals fresco's
// glue uses.
replace github.com/aws/aws-lambda-go => ./awslambda
