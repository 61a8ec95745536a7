SELECT DISTINCT CAST("p"."user_id" AS VARCHAR) AS "profile_id"
FROM "main"."profiles" AS "p"
WHERE ("p"."user_id" IS NOT NULL)
  AND (CAST("p"."user_id" AS VARCHAR) <> ?)
  AND ("p"."country" IN (?, ?, ?))
  AND "p"."user_id" IN (
    SELECT "r1"."user_id" AS "k"
    FROM "main"."accounts" AS "r1"
    WHERE "r1"."account_id" IN (
      SELECT "r2"."account_id" AS "k"
      FROM "main"."credit_cards" AS "r2"
      WHERE "r2"."card_id" IN (
        SELECT "r3"."card_id" AS "k"
        FROM "main"."transactions" AS "r3"
        WHERE ("r3"."category" = ?)
          AND ("r3"."amount" > ?)
          AND ("r3"."amount" <> CAST(? AS DOUBLE))
          AND ("r3"."ts" >= CAST(? AS TIMESTAMP))
          AND ("r3"."ts" <= CAST(? AS TIMESTAMP))
        GROUP BY "r3"."card_id"
        HAVING COUNT(*) >= ?
      )
    )
  )
