SELECT DISTINCT CAST("P"."user_id" AS VARCHAR) AS "PROFILE_ID"
FROM "main"."profiles" AS "P"
WHERE ("P"."user_id" IS NOT NULL)
  AND (EXISTS (
      SELECT 1 AS "ONE"
      FROM "LINKED_AUDIENCES"."membership" AS "M1"
      WHERE ("M1"."AUDIENCE_KEY" = ?)
        AND ("M1"."PROFILE_ID" = CAST("P"."user_id" AS VARCHAR))
    )
    OR EXISTS (
      SELECT 1 AS "ONE"
      FROM "main"."vip_list" AS "C2"
      WHERE CAST("C2"."user_id" AS VARCHAR) = CAST("P"."user_id" AS VARCHAR)
    ))
  AND ("P"."credit_score" >= ?)
  AND EXISTS (
    SELECT 1 AS "ONE"
    FROM "main"."accounts" AS "R3"
    WHERE ("R3"."user_id" = "P"."user_id")
      AND ("R3"."status" = ?)
      AND ("R3"."opened_at" >= "P"."created_at")
      AND EXISTS (
        SELECT 1 AS "ONE"
        FROM "main"."credit_cards" AS "R4"
        WHERE ("R4"."account_id" = "R3"."account_id")
          AND ("R4"."balance" < "R4"."credit_limit")
          AND NOT EXISTS (
            SELECT 1 AS "ONE"
            FROM "main"."card_offers" AS "J6"
            JOIN "main"."offers" AS "R5" ON "J6"."offer_id" = "R5"."offer_id"
            WHERE ("J6"."card_id" = "R4"."card_id")
              AND ("R5"."category" = ?)
          )
      )
  )
