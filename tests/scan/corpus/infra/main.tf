resource "aws_bedrock_provisioned_model_throughput" "claude" {
  provisioned_model_name = "claude-prod"
  model_arn              = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0:200k"
  commitment_duration    = "OneMonth"
  model_units            = 1
}

resource "azurerm_cognitive_deployment" "gpt" {
  name                 = "chat-prod"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  model {
    format  = "OpenAI"
    name    = "gpt-35-turbo"
    version = "0613"
  }
}

variable "vertex_model" {
  # gemini-1.0-pro was the first choice
  default = "gemini-1.5-pro-001"
}

locals {
  titan = "amazon.titan-embed-text-v1"
  tags  = { team = "gpt-platform", owner = "claude-ops" }
}
