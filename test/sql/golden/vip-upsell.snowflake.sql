SELECT DISTINCT CAST("P"."user_id" AS VARCHAR) AS "PROFILE_ID"
FROM "main"."profiles" AS "P"
WHERE ("P"."user_id" IS NOT NULL)
  AND (CAST("P"."user_id" AS VARCHAR) <> ?)
  AND (CAST("P"."user_id" AS VARCHAR) IN (
      SELECT "M1"."PROFILE_ID" AS "PROFILE_ID"
      FROM "LINKED_AUDIENCES"."membership" AS "M1"
      WHERE "M1"."AUDIENCE_KEY" = ?
    )
    OR CAST("P"."user_id" AS VARCHAR) IN (
      SELECT CAST("C2"."user_id" AS VARCHAR) AS "PROFILE_ID"
      FROM "main"."vip_list" AS "C2"
    ))
  AND ("P"."credit_score" >= ?)
  AND ("P"."credit_score" <> CAST(? AS DOUBLE))
  AND EXISTS (
    SELECT 1 AS "ONE"
    FROM "main"."accounts" AS "R3"
    WHERE ("R3"."user_id" = "P"."user_id")
      AND ("R3"."status" = ?)
      AND ("R3"."opened_at" >= "P"."created_at")
      AND "R3"."account_id" IN (
        SELECT "R4"."account_id" AS "K"
        FROM "main"."credit_cards" AS "R4"
        WHERE ("R4"."balance" < "R4"."credit_limit")
          AND (NOT COALESCE("R4"."card_id" IN (
            SELECT "J6"."card_id" AS "K"
            FROM "main"."card_offers" AS "J6"
            JOIN "main"."offers" AS "R5" ON "J6"."offer_id" = "R5"."offer_id"
            WHERE "R5"."category" = ?
          ), FALSE))
      )
  )
