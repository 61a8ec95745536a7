SELECT DISTINCT CAST("p"."user_id" AS VARCHAR) AS "profile_id"
FROM "main"."profiles" AS "p"
WHERE ("p"."user_id" IS NOT NULL)
  AND (CAST("p"."user_id" AS VARCHAR) <> ?)
  AND ("p"."plan" IN (?, ?))
  AND "p"."user_id" IN (
    SELECT "r1"."user_id" AS "k"
    FROM "main"."accounts" AS "r1"
    WHERE "r1"."account_id" IN (
      SELECT "r2"."account_id" AS "k"
      FROM "main"."credit_cards" AS "r2"
      WHERE ("r2"."balance" > ?)
        AND ("r2"."balance" <> CAST(? AS DOUBLE))
        AND ("r2"."due_date" < CAST(? AS TIMESTAMP))
    )
  )
  AND (NOT COALESCE("p"."user_id" IN (
    SELECT "e3"."user_id" AS "k"
    FROM "main"."events" AS "e3"
    WHERE ("e3"."event" = ?)
      AND ("e3"."ts" >= CAST(? AS TIMESTAMP))
      AND ("e3"."ts" <= CAST(? AS TIMESTAMP))
      AND (TRY_CAST(try(json_extract_string("e3"."properties", ?)) AS DOUBLE) >= ?)
      AND (TRY_CAST(try(json_extract_string("e3"."properties", ?)) AS DOUBLE) <> CAST(? AS DOUBLE))
  ), FALSE))
