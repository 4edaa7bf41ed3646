// Index on the merge key of :Email
CREATE INDEX email_value IF NOT EXISTS FOR (n:Email) ON (n.value)
