WITH "MEMBERS" AS (
  SELECT DISTINCT CAST("P1"."user_id" AS VARCHAR) AS "PROFILE_ID"
  FROM "main"."profiles" AS "P1"
  WHERE ("P1"."user_id" IS NOT NULL)
    AND ("P1"."plan" IN (?, ?))
    AND EXISTS (
      SELECT 1 AS "ONE"
      FROM "main"."accounts" AS "R2"
      WHERE ("R2"."user_id" = "P1"."user_id")
        AND EXISTS (
          SELECT 1 AS "ONE"
          FROM "main"."credit_cards" AS "R3"
          WHERE ("R3"."account_id" = "R2"."account_id")
            AND ("R3"."balance" > ?)
            AND ("R3"."due_date" < CAST(? AS TIMESTAMP))
        )
    )
    AND NOT EXISTS (
      SELECT 1 AS "ONE"
      FROM "main"."events" AS "E4"
      WHERE ("E4"."user_id" = "P1"."user_id")
        AND ("E4"."event" = ?)
        AND ("E4"."ts" >= DATEADD(DAY, ?, CAST(? AS TIMESTAMP)))
        AND ("E4"."ts" <= CAST(? AS TIMESTAMP))
        AND (TRY_TO_DOUBLE(CAST(STRIP_NULL_VALUE(GET_PATH(PARSE_JSON("E4"."properties"), ?)) AS VARCHAR)) >= ?)
    )
)
SELECT DISTINCT CAST("P5"."user_id" AS VARCHAR) AS "PROFILE_ID", CAST(? AS VARCHAR) AS "ENTITY_PATH", CAST("R8"."card_id" AS VARCHAR) AS "ENTITY_ID"
FROM "main"."profiles" AS "P5"
JOIN "main"."accounts" AS "R7" ON "R7"."user_id" = "P5"."user_id"
JOIN "main"."credit_cards" AS "R8" ON "R8"."account_id" = "R7"."account_id"
WHERE ("P5"."user_id" IS NOT NULL)
  AND EXISTS (
    SELECT 1 AS "ONE"
    FROM "MEMBERS" AS "M6"
    WHERE "M6"."PROFILE_ID" = CAST("P5"."user_id" AS VARCHAR)
  )
  AND ("R8"."balance" > ?)
  AND ("R8"."due_date" < CAST(? AS TIMESTAMP))
  AND ("R8"."card_id" IS NOT NULL)
