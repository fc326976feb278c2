"""SMS: the command grammar, conversation state, compliance keywords, the webhook views."""
