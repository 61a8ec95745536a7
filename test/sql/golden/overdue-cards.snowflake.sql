SELECT DISTINCT CAST("P"."user_id" AS VARCHAR) AS "PROFILE_ID"
FROM "main"."profiles" AS "P"
WHERE ("P"."user_id" IS NOT NULL)
  AND (CAST("P"."user_id" AS VARCHAR) <> ?)
  AND ("P"."plan" IN (?, ?))
  AND "P"."user_id" IN (
    SELECT "R1"."user_id" AS "K"
    FROM "main"."accounts" AS "R1"
    WHERE "R1"."account_id" IN (
      SELECT "R2"."account_id" AS "K"
      FROM "main"."credit_cards" AS "R2"
      WHERE ("R2"."balance" > ?)
        AND ("R2"."balance" <> CAST(? AS DOUBLE))
        AND ("R2"."due_date" < CAST(? AS TIMESTAMP))
    )
  )
  AND (NOT COALESCE("P"."user_id" IN (
    SELECT "E3"."user_id" AS "K"
    FROM "main"."events" AS "E3"
    WHERE ("E3"."event" = ?)
      AND ("E3"."ts" >= CAST(? AS TIMESTAMP))
      AND ("E3"."ts" <= CAST(? AS TIMESTAMP))
      AND (TRY_TO_DOUBLE(CAST(STRIP_NULL_VALUE(GET_PATH(TRY_PARSE_JSON("E3"."properties"), ?)) AS VARCHAR)) >= ?)
      AND (TRY_TO_DOUBLE(CAST(STRIP_NULL_VALUE(GET_PATH(TRY_PARSE_JSON("E3"."properties"), ?)) AS VARCHAR)) <> CAST(? AS DOUBLE))
  ), FALSE))
