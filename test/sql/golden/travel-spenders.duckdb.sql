SELECT DISTINCT CAST("p"."user_id" AS VARCHAR) AS "profile_id"
FROM "main"."profiles" AS "p"
WHERE ("p"."user_id" IS NOT NULL)
  AND ("p"."country" IN (?, ?, ?))
  AND EXISTS (
    SELECT 1 AS "one"
    FROM "main"."accounts" AS "r1"
    WHERE ("r1"."user_id" = "p"."user_id")
      AND EXISTS (
        SELECT 1 AS "one"
        FROM "main"."credit_cards" AS "r2"
        WHERE ("r2"."account_id" = "r1"."account_id")
          AND EXISTS (
            SELECT 1 AS "one"
            FROM (
              SELECT "r3"."card_id" AS "k"
              FROM "main"."transactions" AS "r3"
              WHERE ("r3"."category" = ?)
                AND ("r3"."amount" > ?)
                AND ("r3"."ts" >= (CAST(? AS TIMESTAMP) + to_days(CAST(? AS INTEGER))))
                AND ("r3"."ts" <= CAST(? AS TIMESTAMP))
              GROUP BY "r3"."card_id"
              HAVING COUNT(*) >= ?
            ) AS "g4"
            WHERE "g4"."k" = "r2"."card_id"
          )
      )
  )
