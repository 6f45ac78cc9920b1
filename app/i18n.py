"""Every word the dashboard shows, in Japanese (the default) and English.

Most users read Japanese first — regional planners, airline marketing, municipalities — so the
dashboard starts in Japanese and switches to English on request. Every visible string goes through
this one table: :data:`TEXT` maps a language to ``key → text``; a text may hold ``{name}`` fields
that :func:`text` fills in. Keys are grouped by prefix: ``page.`` navigation, ``input.`` shared
inputs, ``cost.``/``run.``/``step.`` the release flow, ``release.``/``map.``/``col.`` results,
``cat.<label>.<value>`` released categories, then one prefix per page. A test checks that both
languages have exactly the same keys and fields, and that every key the app uses exists.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "TEXT", "fields", "has_text", "text"]

DEFAULT_LANGUAGE = "ja"
LANGUAGES = {"ja": "日本語", "en": "English"}

_JA: dict[str, str] = {
    # navigation
    "page.home": "ホーム",
    "page.visit": "訪問・滞在エリア",
    "page.flows": "移動・時間帯",
    "page.repeat": "関係人口",
    "page.furusato": "ふるさと納税",
    "page.preboarding": "搭乗前",
    "page.hokkaido": "道東",
    "page.ledger": "プライバシー台帳",
    "page.method": "手法",
    "sidebar.note": "表示される数値はすべて差分プライバシーで保護された公開値です。",
    # shared inputs
    "input.airport": "到着空港",
    "input.dates": "到着日",
    "input.epsilon": "プライバシー予算 ε",
    "input.epsilon_help": "大きいほど誤差は小さくなりますが、予算を多く消費します。",
    # cost and run
    "cost.epsilon": "今回の消費 ε",
    "cost.epsilon_help": "この集計で予算から差し引かれる ε（δ は既定値）。",
    "cost.remaining": "残り予算 ε（最小の月）",
    "cost.remaining_help": "対象となる各月の予算のうち、最も残りが少ない月の値です。",
    "cost.scopes": "対象の月数",
    "cost.more": "この条件であと約",
    "cost.more_value": "{n} 回",
    "cost.more_help": (
        "同じ ε の集計を、対象の月の残り予算であと何回実行できるかの目安です（今回を含む）。"
    ),
    "cost.after": "公開後の残り予算 ε（最小の月）",
    "budget.why": (
        "ε は単純な足し算になりません。費用は ρ（ゼロ集中差分プライバシー）で足し合わされ、"
        "ε は使用した ρ の合計から計算されるため、「使用 ε ＋ 残り ε」は「予算 ε」と一致しません。"
    ),
    "budget.month": "対象",
    "cost.cached": "同じ条件の集計は公開済みです。予算を使わずに再表示します。",
    "cost.unaffordable": "予算が足りません。ε を小さくするか、期間を短くしてください。",
    "run.button": "安全な集計を実行",
    "run.status": "安全な集計を実行しています…",
    "run.done": "集計が完了し、公開されました",
    "run.failed": "集計を実行できませんでした",
    "period.fitted": "データのある期間に合わせました：{start}〜{end}",
    "period.fitted_months": (
        "データのある期間に合わせました：{start}〜{end}（寄付後 {months} か月まで）"
    ),
    "step.start": "準備中",
    "eta.seconds": "残り約 {seconds} 秒",
    "eta.minutes": "残り約 {minutes} 分",
    "step.join": "秘匿化したIDの突合と暗号化したままの合計",
    "step.noise": "暗号化したままノイズを加算",
    "step.decrypt": "復号と秘匿処理",
    "step.done": "完了",
    "step.cached": "公開済みの結果を再表示",
    "step.scope": "暗号化した印を配り、暗号化したまま合計",
    "step.sums": "ノイズを加えた合計の復号と秘匿処理",
    "scale.tiny": "最小（テスト用）",
    "scale.demo": "デモ",
    "scale.large": "大規模",
    "home.areas_approx_help": (
        "調査地域の内蔵の代表点のうち 15 km 以内で最も近いものを市区町村とする近似です"
        "（境界は使わないため、境界付近では誤ることがあります）。"
    ),
    "home.areas_n03_help": "国土数値情報（行政区域データ）の境界で判定しています。",
    "error.budget": "プライバシー予算が不足しています。",
    "error.config": "ワークスペースの設定を確認してください。",
    "error.input": "入力を確認してください。",
    "error.engine": "集計エンジンでエラーが発生しました。",
    "error.budget_advice": (
        "小さい ε を選ぶか、予算の管理者に相談してください。予算は消費されていません。"
    ),
    "error.config_advice": (
        "`make run` をやり直すか、README の手順でワークスペースを作り直してください。"
    ),
    "error.input_advice": (
        "期間・空港・市区町村などの選択を見直してください。何も消費されていません。"
    ),
    "error.engine_advice": (
        "もう一度実行してください。続く場合は管理者に技術的な詳細を伝えてください。"
    ),
    "error.details": "技術的な詳細（英語）",
    # results
    "release.caption": (
        "ε = {epsilon}、δ = {delta}（{mechanism}）・ 95% 区間が 0 を含まない値だけを公開 ・ "
        "公開 {created}（日本時間）"
    ),
    "release.empty": "公開された値がありません（対象者が少なすぎる可能性があります）。",
    "release.suppressed_note": (
        "灰色・空欄は、ノイズと区別できない（95% 区間が 0 を含む）ため公開しなかった値です。"
        "合計は公開値のみの和（下限）です。"
    ),
    "mechanism.gaussian": "離散ガウス機構",
    "mechanism.laplace": "離散ラプラス機構",
    "lang.code": "ja",
    "download.csv": "CSV をダウンロード",
    "download.geojson": "GeoJSON をダウンロード",
    "download.png": "地図を PNG でダウンロード",
    "map.png_title": "地図",
    "map.png_release": "期間 {period} · ε = {epsilon}",
    "map.png_no_font": (
        "日本語フォント（Noto Sans CJK）が見つからないため、PNG の日本語は表示されません。"
        "fonts-noto-cjk を導入してください。"
    ),
    "map.suppressed": "秘匿",
    "map.mesh": "メッシュ",
    "map.credit": "市区町村（{source}）: {credit}",
    "map.tilt": "地図を傾けて表示",
    "map.unit": "人",
    "map.range": "{low}〜{high}",
    "map.withheld_legend": "秘匿（数値なし）",
    "map.land": "陸地（対象地域）",
    "map.sea": "海・対象外の地域",
    "map.reliable": "信頼できる値（誤差が値の半分以下）",
    "map.unreliable": "参考値（誤差が値の半分を超える）",
    "map.withheld": "人数が少ないため公開していません",
    "map.day": "到着後{n}日目",
    "map.days_total": "到着日〜到着後{n}日目の合計",
    "map.days_total_period": "{period}の合計",
    "col.mesh_code": "メッシュコード",
    "col.area": "市区町村",
    "col.code": "コード",
    "col.value": "人数",
    "col.share": "割合（%）",
    "col.ci95": "± 95% 区間",
    "col.interval": "95% 区間（%）",
    "col.suppressed": "秘匿",
    "col.airport": "空港",
    "col.release": "公開 ID",
    "col.kind": "種類",
    "col.summary": "内容",
    "col.created": "公開日時（日本時間）",
    "col.at": "日時（日本時間）",
    "col.actor": "実行者",
    "col.action": "操作",
    "col.scope": "予算の範囲",
    "col.detail": "詳細",
    # reports (CSV for spreadsheets)
    "col.day_offset": "到着後の日数",
    "col.hour_area": "時刻|市区町村",
    "col.municipality_code": "市区町村コード",
    "col.municipality_name": "市区町村名",
    "col.dimension": "区分",
    "col.category": "カテゴリ",
    "col.prior_bucket": "過去の訪問回数",
    "col.cohort": "グループ",
    "col.donation_month": "寄附月",
    "col.month_offset": "寄附後の月数",
    "col.cohort_keys": "グループの人数（公開値）",
    "col.half": "便の時間帯",
    "col.minutes_before": "出発前（分）",
    "col.location_class": "居場所",
    "col.date": "日付",
    "col.residency": "居住・来訪",
    "cat.dimension.hour": "時間帯",
    "cat.dimension.demographic": "性別・年代",
    "report.item": "項目",
    "report.content": "内容",
    "report.kind": "集計の種類",
    "report.period": "期間",
    "report.mechanism": "ノイズの機構",
    "report.rule": "公開ルール",
    "report.rule_text": (
        "95% 区間（選択の偏りを補正）が 0 を含まない値だけを公開し、誤検出率を 2.5% 以内に"
        "抑える（Benjamini–Hochberg）。それ以外は秘匿（空欄）。"
    ),
    "report.notes": "注記",
    "report.notes_text": (
        "すべての値は差分プライバシーで保護された推定値です。± は 95% 区間の半幅です。"
        "合計は公開値のみの和（下限）です。"
    ),
    "report.release_id": "公開 ID",
    "report.created": "公開日時（日本時間）",
    "report.credit": "データ出典",
    "report.suppressed_yes": "秘匿",
    "dataset.airline+carrier": "航空×通信",
    "dataset.carrier": "通信の加入者",
    # released categories
    "cat.gender.F": "女性",
    "cat.gender.M": "男性",
    "cat.gender.unknown": "不明",
    "cat.age.20-29": "20代",
    "cat.age.30-39": "30代",
    "cat.age.40-49": "40代",
    "cat.age.50-59": "50代",
    "cat.age.60-69": "60代",
    "cat.age.70+": "70歳以上",
    "cat.age.unknown": "不明",
    "cat.location_class.home": "自宅エリア",
    "cat.location_class.airport": "空港エリア",
    "cat.location_class.elsewhere": "その他",
    "cat.half.am": "午前便",
    "cat.half.pm": "午後便",
    "cat.cohort.donor": "寄附者",
    "cat.cohort.comparison": "比較群（非寄附者）",
    "cat.residency.resident": "居住者",
    "cat.residency.visitor": "来訪者",
    # home
    "home.title": "Crossmesh — 航空×通信 クロス統計",
    "home.lead": (
        "航空会社の搭乗データと携帯電話の位置データを、**互いに中身を見せないまま**"
        "掛け合わせた統計です。すべての値に差分プライバシーのノイズと誤差幅が付いています。"
    ),
    "home.period": "データ期間",
    "home.scale": "データ規模",
    "home.areas": "市区町村の境界",
    "home.areas_approx": "近似（内蔵）",
    "home.areas_n03": "国土数値情報 N03",
    "home.parties": "データ: {data} ・ ワークスペース: {workspace}",
    "home.node": (
        "航空会社のノード {address} に接続中（この画面はどちらの当事者のフォルダも開きません）"
    ),
    "home.budget": "プライバシー予算（月ごと）",
    "home.spent": "使用済み",
    "home.left": "残り",
    "home.share": "予算に占める割合（%）",
    "ledger.budget_table": "予算の表（ε）",
    "col.dataset": "データ",
    "col.month": "月",
    "col.total": "予算 ε",
    "col.spent": "使用 ε",
    "col.left": "残り ε",
    "home.recent": "最近の公開",
    "home.no_releases": "まだ公開された集計はありません。",
    "home.explore": "分析メニュー",
    "card.compare": "2つの期間・2つの空港の訪問先を比べ、差の有無を 95% 区間で判定。",
    "card.visit": "到着した搭乗者が到着後の各日に滞在した地域メッシュ。全来訪者との比較も。",
    "card.flows": "空港から市区町村への流れと、滞在の時間帯・年代・性別。",
    "card.repeat": "過去1年の訪問日数から見る、初訪問とリピーター。",
    "card.furusato": "寄附者が寄附の後に寄附先を訪れた割合を、非寄附者と比較。",
    "card.preboarding": "出発前の24時間・60・40・20分前に、搭乗者はどこにいたか。",
    "card.hokkaido": "女満別・釧路・中標津の利用者が訪れる市町村と、利用圏の重なり。",
    "card.ledger": "月ごとの予算、すべての公開（無料で再表示）と監査ログ。",
    "card.method": "3つの段階と、誰が何を見るのか。",
    # visit map
    "visit.drill": "市区町村を詳しく見る",
    "visit.drill_pick": "市区町村",
    "visit.drill_none": "（地図のメッシュをクリックするか、ここで選択）",
    "visit.drill_hint": (
        "地図上のメッシュをクリックすると、その市区町村のメッシュと時間帯別の動きを表示します。"
    ),
    "visit.drill_cells": "{area}のメッシュ（表示中の日）",
    "visit.drill_hours": "{area}の時間帯別の人数",
    "visit.drill_hourly_needed": (
        "時間帯別の人数には、同じ到着日の「時間帯の動き」リリースが必要です。"
    ),
    "visit.drill_run_hourly": "時間帯別リリースを作成",
    "visit.drill_hours_withheld": (
        "この市区町村の時間帯別の値は、人数が少ないためすべて秘匿されています。"
    ),
    "visit.title": "訪問・滞在エリア",
    "visit.lead": (
        "空港に到着した搭乗者が、到着後の各日にどの地域メッシュに滞在したか。"
        "色は人数、灰色は秘匿されたセルです。"
    ),
    "visit.airport": "到着空港",
    "visit.area": "目的地エリア",
    "visit.whole_region": "{region} 全域",
    "visit.dates": "到着日",
    "visit.days": "到着後の日数",
    "visit.level": "メッシュの大きさ",
    "mesh.level.1": "1次メッシュ（80 km）",
    "mesh.level.2": "2次メッシュ（10 km）",
    "mesh.level.3": "3次メッシュ（1 km）",
    "mesh.level.4": "2分の1地域メッシュ（500 m）",
    "mesh.level.5": "4分の1地域メッシュ（250 m）",
    "mesh.level.6": "8分の1地域メッシュ（125 m）",
    "visit.repeat": "過去の到着回数（以上）",
    "visit.repeat_help": (
        "リピート搭乗者に絞ります。この空港に以前この回数以上到着した会員だけを数えます。"
    ),
    "visit.not_run": "条件を確認し「安全な集計を実行」を押すと地図が表示されます。",
    "visit.show_day": "表示する日",
    "visit.arrival_day": "到着日",
    "visit.day_after": "{n}日後",
    "visit.view": "表示",
    "visit.view.passengers": "搭乗者",
    "visit.view.visitors": "全来訪者",
    "visit.view.share": "搭乗者の割合",
    "visit.population_needed": (
        "全来訪者との比較には、通信事業者のみの人口統計（同じ地域・期間）が必要です。"
    ),
    "visit.population_at_carrier": (
        "この画面は航空会社のノードにつながっています。人口統計は通信事業者自身の公開値で、"
        "通信事業者のノードが提供しますが、そのノードが今は応答しません（古い版か、接続できません）。"
    ),
    "visit.run_population": "人口統計を実行",
    "visit.arcs": "空港から上位エリアへの流れを表示",
    "visit.download_cross": "搭乗者（クロス集計）",
    "visit.download_population": "全来訪者（人口統計）",
    # flows and time
    "page.compare": "比較",
    "furusato.verdict_higher": "寄附者の方が訪問率が高い（95% 区間が重ならない）",
    "furusato.verdict_lower": "寄附者の方が訪問率が低い（95% 区間が重ならない）",
    "furusato.verdict_same": "差があるとは言えない（95% 区間が重なる）",
    "furusato.verdict_missing": "比較できない（公開されていない値がある）",
    "page.hourly": "時間帯の動き",
    "hourly.title": "時間帯の動き",
    "hourly.lead": (
        "到着した搭乗者が、到着日と翌日の各時間帯にどの市区町村にいたか。"
        "「再生」で 1 時間ずつ進みます。"
    ),
    "hourly.hour": "時刻",
    "hourly.play": "再生",
    "hourly.at": "{hour}時台",
    "hourly.heat": "時刻 × 市区町村",
    "card.hourly": "到着日と翌日、時間帯ごとに搭乗者がいた市区町村を地図で再生。",
    "compare.title": "比較",
    "compare.lead": (
        "2つの期間、または2つの空港の到着者が訪れた市区町村を比べます。"
        "差の 95% 区間が 0 を含むときは「差があるとは言えない」と表示します。"
    ),
    "compare.mode": "比べるもの",
    "compare.mode_periods": "2つの期間",
    "compare.mode_airports": "2つの空港",
    "compare.period_a": "期間 A",
    "compare.period_b": "期間 B",
    "compare.airport_a": "空港 A",
    "compare.airport_b": "空港 B",
    "compare.col_a": "A",
    "compare.col_b": "B",
    "compare.side": "比較対象",
    "compare.col_difference": "差（A − B）",
    "compare.col_verdict": "判定",
    "compare.verdict_higher": "A の方が多い",
    "compare.verdict_lower": "B の方が多い",
    "compare.verdict_no_difference": "差があるとは言えない",
    "compare.verdict_not_comparable": "比較できない（公開されていない値）",
    "compare.not_run": "「実行」を押すと、2つの集計が実行され比較が表示されます。",
    "compare.summary": (
        "A の方が多い：{higher} 市区町村 ・ B の方が多い：{lower} ・ "
        "差があるとは言えない：{same} ・ 比較できない：{missing}"
    ),
    "compare.note": (
        "延べ人数は到着後3日間の合計です。どちらかの集計で公開されなかった値は比較しません。"
        "差の区間は両方の集計のノイズから求めています。"
    ),
    "flows.title": "移動・時間帯",
    "flows.lead": "到着した搭乗者が訪れた市区町村と、滞在した時間帯・属性。",
    "flows.tab_flows": "市区町村への流れ",
    "flows.tab_time": "時間帯と属性",
    "flows.run_profile": "時間帯・属性の集計を実行",
    "flows.not_run": "「実行」を押すと結果が表示されます。",
    "flows.top": "よく訪れられた市区町村",
    "flows.by_day": "到着後の日ごとの推移（上位5市区町村）",
    "flows.day_axis": "到着後",
    "flows.person_days": "延べ人数",
    "flows.people": "人数",
    "flows.hours": "時間帯ごとの滞在",
    "flows.hour_axis": "時刻",
    "flows.day": "日",
    "flows.demographics": "年代・性別",
    "flows.age": "年代",
    "flows.gender": "性別",
    # repeat
    "repeat.title": "関係人口",
    "repeat.lead": (
        "到着した搭乗者が、過去1年に同じ地域を何日訪れていたか。初めての人とリピーターを比べます。"
    ),
    "repeat.airports": "空港（最大3つ）",
    "repeat.pick": "空港を選んでください。",
    "repeat.not_run": "「安全な集計を実行」を押すと結果が表示されます。",
    "repeat.first": "初訪問",
    "repeat.again": "リピーター",
    "repeat.distribution": "過去1年の訪問日数の分布",
    "repeat.bucket": "過去の訪問日数",
    "repeat.people": "人数",
    # furusato
    "furusato.title": "ふるさと納税",
    "furusato.lead": (
        "ある市町村への寄附者が、寄附の後にその市町村を訪れた割合を、寄附していない会員と比べます。"
    ),
    "furusato.municipality": "寄附先の市町村",
    "furusato.dates": "寄附日",
    "furusato.months": "寄附後の月数",
    "furusato.not_run": "「安全な集計を実行」を押すと結果が表示されます。",
    "furusato.offset": "寄附後の月",
    "furusato.rate": "訪問率（%）",
    "furusato.cohort": "グループ",
    "furusato.small_cohort": (
        "対象者が少ないため誤差の幅が非常に大きい値があります。期間を長くするか、"
        "ε を大きくすると比較しやすくなります。"
    ),
    # pre-boarding
    "preboarding.title": "搭乗前",
    "preboarding.lead": (
        "出発の24時間前・60分前・40分前・20分前に、搭乗者がどこにいたか"
        "（自宅エリア・空港エリア・その他）。午前便と午後便を比べます。"
    ),
    "preboarding.airport": "出発空港",
    "preboarding.dates": "出発日",
    "preboarding.not_run": "「安全な集計を実行」を押すと結果が表示されます。",
    "preboarding.hours": "{n}時間前",
    "preboarding.minutes": "{n}分前",
    "preboarding.when": "出発前",
    "preboarding.share": "割合",
    "preboarding.place": "場所",
    "preboarding.table": "公開値の表",
    # east hokkaido
    "hokkaido.title": "道東",
    "hokkaido.lead": (
        "女満別・釧路・中標津の各空港に到着した搭乗者が、どの市町村を訪れたか。"
        "釧路と女満別の利用圏が重なる地域を示します。"
    ),
    "hokkaido.not_run": "「安全な集計を実行」を押すと結果が表示されます。",
    "hokkaido.overlap": "空港ごとの比較と利用圏の重なり",
    "hokkaido.overlap_note": (
        "各空港の延べ人数の5%以上が訪れた市町村をその空港の利用圏とし、"
        "釧路と女満別の両方の利用圏に入る市町村を「重なり」としています。"
    ),
    "hokkaido.none_published": "どの空港・市区町村の値も、人数が少ないため公開されていません。",
    "hokkaido.overlap_col": "重なり",
    # ledger
    "ledger.scope": "{dataset} {month}",
    "ledger.month": "{year}年{month}月",
    "audit.detail.set_budget": "総額 ρ {change}",
    "kind.visit-map": "訪問マップ",
    "kind.flows": "移動先（市区町村）",
    "kind.profile": "時間帯・属性",
    "kind.hourly": "時間帯ごとの市区町村",
    "kind.repeat": "再訪（関係人口）",
    "kind.furusato": "ふるさと納税と訪問",
    "kind.preboarding": "搭乗前の居場所",
    "kind.hokkaido": "道東3空港",
    "kind.population": "人口（通信のみ）",
    "audit.set_budget": "予算の設定",
    "audit.reserve": "予約（予算を確保）",
    "audit.refuse": "拒否（予算不足）",
    "audit.commit": "公開",
    "audit.cache_hit": "公開済みを再表示（消費なし）",
    "audit.abandon": "中断",
    "actor.airline": "航空会社",
    "actor.carrier": "通信事業者",
    "actor.admin": "管理者",
    "audit.detail.commit": "予約 {id} → 公開 {release}",
    "audit.detail.spent": "予約 {id} は中断されました（予算は消費済みのまま）",
    "audit.detail.reserve": "予約 {id}",
    "audit.detail.served": "公開 {id} を再表示（予算の消費なし）",
    "audit.detail.refuse": "残り ρ {left}（総額 {total}）では足りません",
    "ledger.title": "プライバシー台帳",
    "ledger.lead": (
        "月ごとの予算、これまでのすべての公開、監査ログ。過去の公開は予算を使わずに再表示できます。"
    ),
    "ledger.budgets": "予算",
    "ledger.no_budgets": "まだ予算の記録はありません。",
    "ledger.releases": "公開の一覧",
    "ledger.pick": "再表示する公開",
    "ledger.reopen": "再表示（予算消費なし）",
    "ledger.reopened": "公開 #{id}",
    "ledger.table": "公開された値の表",
    "ledger.audit": "監査ログ",
    # method
    "method.title": "手法",
    "method.lead": (
        "Crossmesh は、航空会社と携帯電話会社が**相手に自分のデータを見せずに**共同で統計を作る"
        "仕組みです。どちらの会社も、相手の会員や契約者の情報、正確な人数を見ることはありません。"
    ),
    "method.deidentify.title": "非識別化",
    "method.deidentify.body": (
        "各社は自社の環境の中で、電話番号を正規化し、日付と組み合わせて元に戻せない形に変換します。"
        "集計のたびに各社が新しい秘密の鍵を作って暗号化するので、集計どうしを結び付けることはできません。"
        "利用停止を申し出た契約者はこの段階で除きます。"
    ),
    "method.aggregate.title": "集計",
    "method.aggregate.body": (
        "暗号化したままのIDを突き合わせ（秘匿共通集合）、航空会社は携帯電話会社の各レコードに"
        "自社の鍵で暗号化した「どのグループか」の印だけを返します。携帯電話会社は位置情報を見せずに、"
        "その印を**暗号化したまま**足し合わせます（準同型暗号）。分割した部分の合計も暗号のまま重ね合わせます。"
    ),
    "method.disclose.title": "秘匿処理",
    "method.disclose.body": (
        "差分プライバシーのノイズは両社が加えます。携帯電話会社は合計が暗号化されたままのうちに、"
        "航空会社は復号した後に、それぞれ自社のノイズを加えるので、どちらの会社も自分で加えたノイズだけで"
        "守られた値を持つことはありません。一致件数やリストの長さにもノイズを加えています。"
        "95% 区間が 0 を含まない値だけを（誤検出率 2.5% 以内に抑えて）"
        "正確な誤差幅付きで公開します。"
        "公開は両社の予算台帳に記録されます。"
    ),
    "method.who_title": "誰が何を見るか",
    "method.who_table": (
        "| | 航空会社 | 携帯電話会社 | ダッシュボードの利用者 |\n"
        "|---|---|---|---|\n"
        "| 相手の会員・契約者 | 見ない | 見ない | 見ない |\n"
        "| 位置情報 | 見ない | 自社分のみ | 見ない |\n"
        "| 突合で一致した件数（グループごと） | ノイズを含む値のみ | 見ない | 見ない |\n"
        "| 復号した合計 | 携帯電話会社のノイズを含む値のみ | 見ない | 見ない |\n"
        "| 正確なクロス集計の人数 | 見ない | 見ない | 見ない |\n"
        "| ノイズを加えた公開値と誤差幅 | 見る | 見る | 見る |"
    ),
    "method.guarantee_title": "保証の内容",
    "method.guarantee": (
        "保護の単位は1人（1つの電話番号）です。予算は月ごとのデータに対して設定され、"
        "複数の月のデータを使う集計は、それぞれの月の予算を消費します。"
        "同じ条件の集計をもう一度求めても、公開済みの結果が返り、予算は消費されません。"
    ),
    "method.limits_title": "読み方の注意",
    "method.limits": (
        "- 値はすべてノイズを含む推定値です。「±」は95%の確率で真の値が入る幅です。\n"
        "- ノイズと区別できない値は公開されず、地図では灰色、表では空欄になります。\n"
        "- 秘匿された値を含む合計は、公開された値だけの和（下限）です。"
    ),
    "method.areas_title": "市区町村の境界",
    "method.areas": (
        "市区町村の判定: {source}。国土数値情報（行政区域データ）を取り込むと、"
        "正確な境界で判定・表示します。"
    ),
}

_EN: dict[str, str] = {
    "page.home": "Home",
    "page.visit": "Visit map",
    "page.flows": "Flows and time",
    "page.repeat": "Repeat visitors",
    "page.furusato": "Furusato cohorts",
    "page.preboarding": "Pre-boarding",
    "page.hokkaido": "East Hokkaido",
    "page.ledger": "Privacy ledger",
    "page.method": "Method",
    "sidebar.note": "Every number shown is a published value protected by differential privacy.",
    "input.airport": "Arrival airport",
    "input.dates": "Arrival dates",
    "input.epsilon": "Privacy budget ε",
    "input.epsilon_help": "Larger means smaller errors but spends more of the budget.",
    "cost.epsilon": "ε this release spends",
    "cost.epsilon_help": "The ε taken from the budget by this release (δ at its default).",
    "cost.remaining": "ε left (tightest month)",
    "cost.remaining_help": "Of the months this release reads, the one with the least left.",
    "cost.scopes": "Months charged",
    "cost.more": "Releases like this one left",
    "cost.more_value": "about {n}",
    "cost.more_help": (
        "How many releases with this ε the months it reads can still afford (this one included)."
    ),
    "cost.after": "ε left after the release (tightest month)",
    "budget.why": (
        "ε does not add up: costs add up in ρ (zero-concentrated DP) and ε is derived from the "
        "total ρ, so spent ε plus left ε is not the budget ε."
    ),
    "budget.month": "Scope",
    "cost.cached": "This exact release was published before; it is shown again at no cost.",
    "cost.unaffordable": "Not enough budget left. Lower ε or shorten the period.",
    "run.button": "Run secure release",
    "run.status": "Running the secure release…",
    "run.done": "Release complete and published",
    "run.failed": "The release could not be run",
    "period.fitted": "Fitted to the days with data: {start} – {end}",
    "period.fitted_months": (
        "Fitted to the days with data: {start} – {end} (up to {months} month(s) after donating)"
    ),
    "step.start": "Preparing",
    "eta.seconds": "about {seconds} s left",
    "eta.minutes": "about {minutes} min left",
    "step.join": "Matching blinded IDs and summing under encryption",
    "step.noise": "Adding noise under encryption",
    "step.decrypt": "Decrypting and disclosure control",
    "step.done": "Done",
    "step.cached": "Showing the published result again",
    "step.scope": "Handing out encrypted marks, adding up still encrypted",
    "step.sums": "Decrypting the noised sums and withholding small values",
    "scale.tiny": "tiny (tests)",
    "scale.demo": "demo",
    "scale.large": "large",
    "home.areas_approx_help": (
        "Approximate: the nearest built-in reference point of the study region within 15 km "
        "(no boundaries, so it may err near borders)."
    ),
    "home.areas_n03_help": "Decided by the boundaries of MLIT's N03 administrative areas.",
    "error.budget": "Not enough privacy budget.",
    "error.config": "Please check the workspace setup.",
    "error.input": "Please check the inputs.",
    "error.engine": "The statistics engine reported an error.",
    "error.budget_advice": (
        "Choose a smaller ε or ask the budget's administrator; nothing was spent."
    ),
    "error.config_advice": ("Run `make run` again, or rebuild the workspace as the README says."),
    "error.input_advice": ("Check the period, airport or municipality chosen; nothing was spent."),
    "error.engine_advice": ("Run it again; if it persists, pass the details to an administrator."),
    "error.details": "Technical details",
    "release.caption": (
        "ε = {epsilon}, δ = {delta} ({mechanism}) · shown only where the 95 % interval "
        "excludes 0 · published {created} JST"
    ),
    "release.empty": "No values were published (the group may be too small).",
    "release.suppressed_note": (
        "Grey or empty entries were withheld: they cannot be told apart from noise (their 95 % "
        "interval includes 0). Totals add published values only (a lower bound)."
    ),
    "mechanism.gaussian": "discrete Gaussian",
    "mechanism.laplace": "discrete Laplace",
    "lang.code": "en",
    "download.csv": "Download CSV",
    "download.geojson": "Download GeoJSON",
    "download.png": "Download the map as PNG",
    "map.png_title": "Map",
    "map.png_release": "Period {period} · ε = {epsilon}",
    "map.png_no_font": "No Japanese font (Noto Sans CJK) was found: Japanese text in the PNG "
    "will not show. Install fonts-noto-cjk.",
    "map.suppressed": "suppressed",
    "map.mesh": "Mesh",
    "map.credit": "Municipalities ({source}): {credit}",
    "map.tilt": "Tilt the map",
    "map.unit": "people",
    "map.range": "{low}–{high}",
    "map.withheld_legend": "withheld (no number)",
    "map.land": "land (study region)",
    "map.sea": "sea or outside the study region",
    "map.reliable": "reliable (interval at most half the value)",
    "map.unreliable": "rough figure (interval over half the value)",
    "map.withheld": "not published: too few people",
    "map.day": "day {n} after arrival",
    "map.days_total": "arrival day to day {n} after arrival, summed",
    "map.days_total_period": "summed over {period}",
    "col.mesh_code": "Mesh code",
    "col.area": "Municipality",
    "col.code": "Code",
    "col.value": "People",
    "col.share": "Share (%)",
    "col.ci95": "± 95% interval",
    "col.interval": "95% interval (%)",
    "col.suppressed": "Suppressed",
    "col.airport": "Airport",
    "col.release": "Release ID",
    "col.kind": "Kind",
    "col.summary": "Summary",
    "col.created": "Published (JST)",
    "col.at": "Time (JST)",
    "col.actor": "Actor",
    "col.action": "Action",
    "col.scope": "Budget scope",
    "col.detail": "Detail",
    # reports (CSV for spreadsheets)
    "col.day_offset": "Days after arrival",
    "col.hour_area": "hour|municipality",
    "col.municipality_code": "Municipality code",
    "col.municipality_name": "Municipality",
    "col.dimension": "Dimension",
    "col.category": "Category",
    "col.prior_bucket": "Earlier visits",
    "col.cohort": "Group",
    "col.donation_month": "Donation month",
    "col.month_offset": "Months after donation",
    "col.cohort_keys": "Group size (published)",
    "col.half": "Flight time",
    "col.minutes_before": "Before departure (min)",
    "col.location_class": "Where",
    "col.date": "Date",
    "col.residency": "Resident or visitor",
    "cat.dimension.hour": "Hour",
    "cat.dimension.demographic": "Gender and age",
    "report.item": "Item",
    "report.content": "Value",
    "report.kind": "Kind of statistic",
    "report.period": "Period",
    "report.mechanism": "Noise mechanism",
    "report.rule": "Publication rule",
    "report.rule_text": (
        "Shown only where the 95 % interval (adjusted for selection) excludes 0, with false "
        "discoveries held at 2.5 % (Benjamini–Hochberg); other values are withheld (empty)."
    ),
    "report.notes": "Notes",
    "report.notes_text": (
        "Every value is an estimate protected by differential privacy; ± is the half-width of "
        "the 95% interval. Totals add published values only (a lower bound)."
    ),
    "report.release_id": "Release ID",
    "report.created": "Published (JST)",
    "report.credit": "Data credit",
    "report.suppressed_yes": "withheld",
    "dataset.airline+carrier": "Airline × carrier",
    "dataset.carrier": "Carrier subscribers",
    "cat.gender.F": "Female",
    "cat.gender.M": "Male",
    "cat.gender.unknown": "Unknown",
    "cat.age.20-29": "20s",
    "cat.age.30-39": "30s",
    "cat.age.40-49": "40s",
    "cat.age.50-59": "50s",
    "cat.age.60-69": "60s",
    "cat.age.70+": "70+",
    "cat.age.unknown": "Unknown",
    "cat.location_class.home": "Home area",
    "cat.location_class.airport": "Airport area",
    "cat.location_class.elsewhere": "Elsewhere",
    "cat.half.am": "Morning flights",
    "cat.half.pm": "Afternoon flights",
    "cat.cohort.donor": "Donors",
    "cat.cohort.comparison": "Comparison (non-donors)",
    "cat.residency.resident": "Residents",
    "cat.residency.visitor": "Visitors",
    "home.title": "Crossmesh — airline × carrier statistics",
    "home.lead": (
        "Statistics across an airline's boarding data and a mobile carrier's location data, "
        "computed **without either side seeing the other's records**. Every value carries "
        "differential-privacy noise and its error bound."
    ),
    "home.period": "Data period",
    "home.scale": "Data scale",
    "home.areas": "Municipal boundaries",
    "home.areas_approx": "approximate (built-in)",
    "home.areas_n03": "MLIT N03",
    "home.parties": "Data: {data} · workspace: {workspace}",
    "home.node": (
        "Connected to the airline's node at {address} (this dashboard opens no party's folder)"
    ),
    "home.budget": "Privacy budget (per month)",
    "home.spent": "spent",
    "home.left": "left",
    "home.share": "Share of the budget (%)",
    "ledger.budget_table": "Budget table (ε)",
    "col.dataset": "Data",
    "col.month": "Month",
    "col.total": "Budget ε",
    "col.spent": "Spent ε",
    "col.left": "Left ε",
    "home.recent": "Recent releases",
    "home.no_releases": "No release has been published yet.",
    "home.explore": "Analyses",
    "card.compare": (
        "Two periods or two airports side by side, with a verdict from the 95 % interval of the "
        "difference."
    ),
    "card.visit": "Where arriving passengers stay, per mesh cell and day; against all visitors.",
    "card.flows": "Flows from the airport to municipalities; hours of day, age and gender.",
    "card.repeat": "First-timers and repeaters, by visit days in the year before.",
    "card.furusato": "How often donors visit the town they donated to, against non-donors.",
    "card.preboarding": "Where passengers were 24 h and 60, 40, 20 minutes before departure.",
    "card.hokkaido": "Which towns Memanbetsu, Kushiro and Nakashibetsu passengers reach.",
    "card.ledger": "Budgets per month, every release (reopen at no cost), the audit log.",
    "card.method": "The three stages, and who sees what.",
    "visit.drill": "A closer look at one municipality",
    "visit.drill_pick": "Municipality",
    "visit.drill_none": "(click a cell on the map, or pick one here)",
    "visit.drill_hint": "Click a cell on the map to see its municipality's cells and hours.",
    "visit.drill_cells": "Cells of {area} (the day shown)",
    "visit.drill_hours": "People in {area} hour by hour",
    "visit.drill_hourly_needed": "Hours need the hourly release of the same arrivals.",
    "visit.drill_run_hourly": "Make the hourly release",
    "visit.drill_hours_withheld": "Every hourly value of this municipality is withheld (too few).",
    "visit.title": "Visit map",
    "visit.lead": (
        "Where passengers who landed at an airport stayed, per JIS mesh cell and day after "
        "arrival. Colour is the number of people; grey cells are suppressed."
    ),
    "visit.airport": "Arrival airport",
    "visit.area": "Destination area",
    "visit.whole_region": "All of {region}",
    "visit.dates": "Arrival dates",
    "visit.days": "Days after arrival",
    "visit.level": "Mesh size",
    "mesh.level.1": "1st mesh (80 km)",
    "mesh.level.2": "2nd mesh (10 km)",
    "mesh.level.3": "3rd mesh (1 km)",
    "mesh.level.4": "Half mesh (500 m)",
    "mesh.level.5": "Quarter mesh (250 m)",
    "mesh.level.6": "Eighth mesh (125 m)",
    "visit.repeat": "Earlier arrivals (at least)",
    "visit.repeat_help": "Repeat flyers only: members with at least this many earlier arrivals.",
    "visit.not_run": "Check the inputs and press “Run secure release” to see the map.",
    "visit.show_day": "Day shown",
    "visit.arrival_day": "Arrival day",
    "visit.day_after": "Day +{n}",
    "visit.view": "Show",
    "visit.view.passengers": "Passengers",
    "visit.view.visitors": "All visitors",
    "visit.view.share": "Passengers' share",
    "visit.population_at_carrier": (
        "This dashboard is connected to the airline's node. Population statistics are the "
        "carrier's own releases, served by the carrier's node, which does not answer for them "
        "now (an older version, or not reachable); they cannot be shown here."
    ),
    "visit.population_needed": (
        "Comparing with all visitors needs the carrier's own population statistics "
        "(same region and days)."
    ),
    "visit.run_population": "Run population release",
    "visit.arcs": "Show flows from the airport to the top areas",
    "visit.download_cross": "Passengers (cross release)",
    "visit.download_population": "All visitors (population release)",
    "page.compare": "Compare",
    "furusato.verdict_higher": "donors visit more (the 95 % intervals do not overlap)",
    "furusato.verdict_lower": "donors visit less (the 95 % intervals do not overlap)",
    "furusato.verdict_same": "no evidence of a difference (the 95 % intervals overlap)",
    "furusato.verdict_missing": "not comparable (a value was withheld)",
    "page.hourly": "Hour by hour",
    "hourly.title": "Hour by hour",
    "hourly.lead": (
        "Which municipality arriving passengers were in, hour by hour, on the arrival day and the "
        "day after. “Play” advances one hour a second."
    ),
    "hourly.hour": "Hour",
    "hourly.play": "Play",
    "hourly.at": "{hour}:00–{hour}:59",
    "hourly.heat": "Hour × municipality",
    "card.hourly": "Hour by hour on the arrival day and the day after, played back on the map.",
    "compare.title": "Compare",
    "compare.lead": (
        "Compare the municipalities reached by arrivals in two periods, or at two airports. When "
        "the 95 % interval of the difference includes 0, the page says there is no evidence of a "
        "difference."
    ),
    "compare.mode": "Compare",
    "compare.mode_periods": "two periods",
    "compare.mode_airports": "two airports",
    "compare.period_a": "Period A",
    "compare.period_b": "Period B",
    "compare.airport_a": "Airport A",
    "compare.airport_b": "Airport B",
    "compare.col_a": "A",
    "compare.col_b": "B",
    "compare.side": "Release",
    "compare.col_difference": "Difference (A − B)",
    "compare.col_verdict": "Verdict",
    "compare.verdict_higher": "more in A",
    "compare.verdict_lower": "more in B",
    "compare.verdict_no_difference": "no evidence of a difference",
    "compare.verdict_not_comparable": "not comparable (a value was withheld)",
    "compare.not_run": "Press “Run” to run both releases and see the comparison.",
    "compare.summary": (
        "More in A: {higher} municipalities · more in B: {lower} · no evidence of a difference: "
        "{same} · not comparable: {missing}"
    ),
    "compare.note": (
        "Person-days over the 3 days after arrival. Values either release withheld are not "
        "compared. The difference's interval comes from both releases' noise."
    ),
    "flows.title": "Flows and time",
    "flows.lead": "Which municipalities arriving passengers visit, when they are there, and who.",
    "flows.tab_flows": "Flows to municipalities",
    "flows.tab_time": "Time of day and profile",
    "flows.run_profile": "Run time and profile release",
    "flows.not_run": "Press “Run” to see the result.",
    "flows.top": "Most visited municipalities",
    "flows.by_day": "By day after arrival (top 5 municipalities)",
    "flows.day_axis": "After arrival",
    "flows.person_days": "Person-days",
    "flows.people": "People",
    "flows.hours": "Presence by hour of day",
    "flows.hour_axis": "Hour",
    "flows.day": "Day",
    "flows.demographics": "Age and gender",
    "flows.age": "Age",
    "flows.gender": "Gender",
    "repeat.title": "Repeat visitors",
    "repeat.lead": (
        "How many days arriving passengers had visited the same region in the year before: "
        "first-timers against repeaters."
    ),
    "repeat.airports": "Airports (up to 3)",
    "repeat.pick": "Choose at least one airport.",
    "repeat.not_run": "Press “Run secure release” to see the result.",
    "repeat.first": "First-timers",
    "repeat.again": "Repeaters",
    "repeat.distribution": "Visit days in the year before",
    "repeat.bucket": "Earlier visit days",
    "repeat.people": "People",
    "furusato.title": "Furusato cohorts",
    "furusato.lead": (
        "The share of donors to a municipality who visit it in the months after donating, "
        "against members who never donated to it."
    ),
    "furusato.municipality": "Municipality donated to",
    "furusato.dates": "Donation dates",
    "furusato.months": "Months after donation",
    "furusato.not_run": "Press “Run secure release” to see the result.",
    "furusato.offset": "Months after donation",
    "furusato.rate": "Visit rate (%)",
    "furusato.cohort": "Cohort",
    "furusato.small_cohort": (
        "Some cohorts are small, so their intervals are very wide. A longer period or a larger "
        "ε makes the comparison clearer."
    ),
    "preboarding.title": "Pre-boarding",
    "preboarding.lead": (
        "Where departing passengers were 24 hours and 60, 40 and 20 minutes before departure "
        "(home area, airport area, elsewhere): morning against afternoon flights."
    ),
    "preboarding.airport": "Departure airport",
    "preboarding.dates": "Departure dates",
    "preboarding.not_run": "Press “Run secure release” to see the result.",
    "preboarding.hours": "{n} h before",
    "preboarding.minutes": "{n} min before",
    "preboarding.when": "Before departure",
    "preboarding.share": "Share",
    "preboarding.place": "Location",
    "preboarding.table": "Published values",
    "hokkaido.title": "East Hokkaido",
    "hokkaido.lead": (
        "Which municipalities passengers arriving at Memanbetsu, Kushiro and Nakashibetsu "
        "reach, and where the Kushiro and Memanbetsu catchments overlap."
    ),
    "hokkaido.not_run": "Press “Run secure release” to see the result.",
    "hokkaido.overlap": "Airports side by side, and where catchments overlap",
    "hokkaido.overlap_note": (
        "A municipality is in an airport's catchment if it holds at least 5 % of that airport's "
        "person-days; “overlap” marks those in both the Kushiro and the Memanbetsu catchment."
    ),
    "hokkaido.none_published": "No airport and municipality value is published (too few).",
    "hokkaido.overlap_col": "Overlap",
    "ledger.scope": "{dataset} {month}",
    "ledger.month": "{month}/{year}",
    "audit.detail.set_budget": "total ρ {change}",
    "kind.visit-map": "Visit map",
    "kind.flows": "Flows (municipalities)",
    "kind.profile": "Hours and profile",
    "kind.hourly": "Municipality by hour",
    "kind.repeat": "Repeat visitors",
    "kind.furusato": "Furusato donors' visits",
    "kind.preboarding": "Before boarding",
    "kind.hokkaido": "East Hokkaido airports",
    "kind.population": "Population (carrier only)",
    "audit.set_budget": "Budget set",
    "audit.reserve": "Reserved",
    "audit.refuse": "Refused (budget)",
    "audit.commit": "Published",
    "audit.cache_hit": "Reopened from the cache (nothing spent)",
    "audit.abandon": "Abandoned",
    "actor.airline": "Airline",
    "actor.carrier": "Carrier",
    "actor.admin": "Administrator",
    "audit.detail.commit": "reservation {id} → release {release}",
    "audit.detail.spent": "reservation {id} was abandoned (its budget stays spent)",
    "audit.detail.reserve": "reservation {id}",
    "audit.detail.served": "release {id} served again (nothing spent)",
    "audit.detail.refuse": "ρ {left} left of {total}: not enough",
    "ledger.title": "Privacy ledger",
    "ledger.lead": (
        "Budgets per month, every release so far and the audit log. Past releases reopen at no "
        "cost."
    ),
    "ledger.budgets": "Budgets",
    "ledger.no_budgets": "No budget has been recorded yet.",
    "ledger.releases": "Releases",
    "ledger.pick": "Release to reopen",
    "ledger.reopen": "Reopen (no cost)",
    "ledger.reopened": "Release #{id}",
    "ledger.table": "Published values as a table",
    "ledger.audit": "Audit log",
    "method.title": "Method",
    "method.lead": (
        "Crossmesh lets an airline and a mobile carrier compute statistics together **without "
        "showing each other their data**. Neither sees the other's members or subscribers, nor "
        "any exact count."
    ),
    "method.deidentify.title": "De-identification",
    "method.deidentify.body": (
        "Inside its own environment, each party normalises phone numbers and combines them with "
        "the date into an irreversible form. For every release each party draws a fresh secret "
        "key to encrypt them with, so no two releases can be linked. Subscribers who opted out "
        "are dropped here."
    ),
    "method.aggregate.title": "Aggregation",
    "method.aggregate.body": (
        "The encrypted IDs are matched (a private set intersection). The airline answers each "
        "of the carrier's records with an indicator of its group, encrypted under the airline's "
        "key; the carrier adds those indicators up per location **while still encrypted** "
        "(homomorphic encryption) without showing any location. Partial sums are merged while "
        "encrypted too."
    ),
    "method.disclose.title": "Disclosure control",
    "method.disclose.body": (
        "Both parties add differential-privacy noise: the carrier while the sums are still "
        "encrypted, the airline after it decrypts, so neither ever holds a value protected only "
        "by noise it drew itself. Match counts and list sizes carry noise too. Values are "
        "shown only where their 95 % interval excludes zero (with false discoveries held at "
        "2.5 %), "
        "and published with their exact error bounds. "
        "Every release is recorded in both parties' budget ledgers."
    ),
    "method.who_title": "Who sees what",
    "method.who_table": (
        "| | Airline | Carrier | Dashboard users |\n"
        "|---|---|---|---|\n"
        "| The other party's members or subscribers | no | no | no |\n"
        "| Locations | no | its own only | no |\n"
        "| Matches per group in the join | noisy counts only | no | no |\n"
        "| Decrypted sums | only with the carrier's noise | no | no |\n"
        "| Exact cross counts | no | no | no |\n"
        "| Noisy published values and intervals | yes | yes | yes |"
    ),
    "method.guarantee_title": "The guarantee",
    "method.guarantee": (
        "The unit of privacy is one person (one phone number). Budgets are set per month of "
        "data, and a release reading several months charges each of them. Asking again for an "
        "identical release returns the published result and spends nothing."
    ),
    "method.limits_title": "Reading the numbers",
    "method.limits": (
        "- Every value is a noisy estimate; “±” is the range that holds the true value with "
        "95 % probability.\n"
        "- Values that cannot be told apart from noise are withheld: grey on maps, empty in "
        "tables.\n"
        "- Totals that include suppressed values add the published ones only (a lower bound)."
    ),
    "method.areas_title": "Municipal boundaries",
    "method.areas": (
        "Municipalities: {source}. Import MLIT's N03 administrative areas to assign and draw "
        "exact boundaries."
    ),
}

TEXT: dict[str, dict[str, str]] = {"ja": _JA, "en": _EN}


def has_text(key: str) -> bool:
    """Whether ``key`` is in the table."""
    return key in _JA


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The text of ``key`` in ``lang`` (Japanese for an unknown language), fields filled in."""
    table = TEXT.get(lang, _JA)
    template = table[key]
    return template.format(**values) if values else template


def fields(template: str) -> set[str]:
    """The ``{name}`` fields of a template (for the test that both languages agree)."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}
