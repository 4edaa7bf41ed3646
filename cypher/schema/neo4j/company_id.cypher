// Index on the merge key of :Company
CREATE INDEX company_id IF NOT EXISTS FOR (n:Company) ON (n.id)
