// Index on the merge key of :Account
CREATE INDEX account_id IF NOT EXISTS FOR (n:Account) ON (n.id)
