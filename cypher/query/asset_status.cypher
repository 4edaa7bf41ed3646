// Current register status and values of the assets named by $ids, with their owners
UNWIND $ids AS x
MATCH (o)-[r:OWNS]->(a:Asset {id: x})
RETURN a.id AS id, o.id AS owner, a.status AS status, a.status_date AS status_date,
       a.value_base AS value_base, a.realised_base AS realised_base,
       a.to_victims_base AS to_victims_base, a.register_head AS register_head,
       r.status AS owns_status
ORDER BY id
