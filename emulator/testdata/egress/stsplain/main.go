// STSPlain is the STS function without a line of fresco: aws-lambda-go and
// aws-sdk-go-v2 as a Lambda function uses them, config.LoadDefaultConfig
// during init. fresco's build routes the SDK's own HTTP client through the
// host, which signs the request with its credentials.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var client = func() *sts.Client {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	return sts.NewFromConfig(cfg)
}()

func handle(ctx context.Context, _ struct{}) (map[string]string, error) {
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, err
	}
	return map[string]string{"account": aws.ToString(out.Account), "arn": aws.ToString(out.Arn)}, nil
}

func main() { lambda.Start(handle) }
