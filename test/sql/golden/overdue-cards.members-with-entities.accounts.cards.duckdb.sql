SELECT DISTINCT CAST("x4"."k" AS VARCHAR) AS "profile_id", CAST("x4"."entity_id" AS VARCHAR) AS "entity_id"
FROM (
  SELECT "r2"."user_id" AS "k", "r3"."card_id" AS "entity_id"
  FROM "main"."accounts" AS "r2"
  JOIN "main"."credit_cards" AS "r3" ON "r3"."account_id" = "r2"."account_id"
  WHERE ("r3"."balance" > ?)
    AND ("r3"."balance" <> CAST(? AS DOUBLE))
    AND ("r3"."due_date" < CAST(? AS TIMESTAMP))
) AS "x4"
WHERE "x4"."k" IN (
  SELECT "p1"."user_id" AS "k"
  FROM "main"."profiles" AS "p1"
  WHERE ("p1"."user_id" IS NOT NULL)
    AND (CAST("p1"."user_id" AS VARCHAR) <> ?)
    AND ("p1"."plan" IN (?, ?))
    AND (NOT COALESCE("p1"."user_id" IN (
      SELECT "e5"."user_id" AS "k"
      FROM "main"."events" AS "e5"
      WHERE ("e5"."event" = ?)
        AND ("e5"."ts" >= CAST(? AS TIMESTAMP))
        AND ("e5"."ts" <= CAST(? AS TIMESTAMP))
        AND (TRY_CAST(try(json_extract_string("e5"."properties", ?)) AS DOUBLE) >= ?)
        AND (TRY_CAST(try(json_extract_string("e5"."properties", ?)) AS DOUBLE) <> CAST(? AS DOUBLE))
    ), FALSE))
)
