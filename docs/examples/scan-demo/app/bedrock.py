import boto3

bedrock = boto3.client("bedrock-runtime")
MODEL_ID = "anthropic.claude-3-sonnet-20240229-v1:0"
