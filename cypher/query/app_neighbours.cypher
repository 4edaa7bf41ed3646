// The app's graph explorer: every relationship of the node named by $id (a party, account,
// identifier, ad, trip, alert, asset or report key), both directions, with the other end's kind,
// name, role and country and the relationship's properties the explorer draws (money: count,
// total, first/last time; intelligence: record, grading, handling code, date, countries; not the
// record id lists, which would multiply what travels). Country and Case hubs are left out.
// One indexed branch per label (the key is `id` or `value`).
MATCH (n:Person {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Company {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Account {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Phone {value: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Email {value: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Address {value: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Device {value: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:IP {value: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Ad {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Trip {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Alert {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:Asset {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
UNION ALL
MATCH (n:STR {id: $id})-[r]-(m)
WHERE NOT m:Country AND NOT m:Case
RETURN $id AS focus, type(r) AS rel, startNode(r) = n AS outgoing, labels(m)[0] AS kind,
       coalesce(m.id, m.value) AS other, m.name AS name, coalesce(m.role, m.inferred_role) AS role,
       coalesce(m.country, m.residence, m.jurisdiction) AS country, {count: r.count, total: r.total, first_ms: r.first_ms, last_ms: r.last_ms,
        link_id: r.link_id, grading: r.grading, handling_code: r.handling_code, date: r.date,
        date_ms: r.date_ms, from_country: r.from_country, to_country: r.to_country} AS props
