SELECT DISTINCT CAST("p"."user_id" AS VARCHAR) AS "profile_id"
FROM "main"."profiles" AS "p"
WHERE ("p"."user_id" IS NOT NULL)
  AND ("p"."plan" IN (?, ?))
  AND EXISTS (
    SELECT 1 AS "one"
    FROM "main"."accounts" AS "r1"
    WHERE ("r1"."user_id" = "p"."user_id")
      AND EXISTS (
        SELECT 1 AS "one"
        FROM "main"."credit_cards" AS "r2"
        WHERE ("r2"."account_id" = "r1"."account_id")
          AND ("r2"."balance" > ?)
          AND ("r2"."due_date" < CAST(? AS TIMESTAMP))
      )
  )
  AND NOT EXISTS (
    SELECT 1 AS "one"
    FROM "main"."events" AS "e3"
    WHERE ("e3"."user_id" = "p"."user_id")
      AND ("e3"."event" = ?)
      AND ("e3"."ts" >= (CAST(? AS TIMESTAMP) + to_days(CAST(? AS INTEGER))))
      AND ("e3"."ts" <= CAST(? AS TIMESTAMP))
      AND (TRY_CAST(json_extract_string("e3"."properties", ?) AS DOUBLE) >= ?)
  )
