SELECT DISTINCT CAST("P"."user_id" AS VARCHAR) AS "PROFILE_ID"
FROM "main"."profiles" AS "P"
WHERE ("P"."user_id" IS NOT NULL)
  AND (CAST("P"."user_id" AS VARCHAR) <> ?)
  AND ("P"."country" IN (?, ?, ?))
  AND "P"."user_id" IN (
    SELECT "R1"."user_id" AS "K"
    FROM "main"."accounts" AS "R1"
    WHERE "R1"."account_id" IN (
      SELECT "R2"."account_id" AS "K"
      FROM "main"."credit_cards" AS "R2"
      WHERE "R2"."card_id" IN (
        SELECT "R3"."card_id" AS "K"
        FROM "main"."transactions" AS "R3"
        WHERE ("R3"."category" = ?)
          AND ("R3"."amount" > ?)
          AND ("R3"."amount" <> CAST(? AS DOUBLE))
          AND ("R3"."ts" >= CAST(? AS TIMESTAMP))
          AND ("R3"."ts" <= CAST(? AS TIMESTAMP))
        GROUP BY "R3"."card_id"
        HAVING COUNT(*) >= ?
      )
    )
  )
