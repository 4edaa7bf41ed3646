// Remove alerts that a new screening run no longer raises: $ids = alert ids to keep
MATCH (al:Alert)
WHERE NOT al.id IN $ids
DETACH DELETE al
RETURN count(*) AS n
