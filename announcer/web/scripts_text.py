"""The words of the notices pages (list, editor, preview, import, approval) in Vietnamese.

Kept beside the web frame's own table (``announcer.web.text``) and added to it when the pages are
registered; messages of the library (errors, hints) come from the one catalogue, announcer/locale.
"""

from __future__ import annotations

VI: dict[str, str] = {
    # list
    "New notice": "Soạn bản tin mới",
    "Import a .docx or .txt file": "Nhập từ tệp .docx hoặc .txt",
    "No notices yet. Import a notice or write a new one.":
        "Chưa có bản tin nào. Hãy nhập văn bản hoặc soạn bản tin mới.",
    "Title": "Tiêu đề",
    "Slots and times": "Buổi phát và giờ phát",
    "Dates": "Thời gian phát",
    "Approval": "Phê duyệt",
    "Audio": "Bản thu",
    "every {n} min": "cứ {n} phút một lần",
    "never airs": "chưa có lịch phát",
    "ended": "đã hết hạn",
    "always": "không giới hạn",
    "approved": "Đã duyệt",
    "draft": "Bản nháp",
    "render-fresh": "Đã có bản thu",
    "render-fallback": "Đã có bản thu (giọng dự phòng)",
    "render-stale": "Bản thu đã cũ",
    "render-missing": "Chưa có bản thu",
    # editor
    "File name": "Tên tệp",
    "letters, digits and '-', e.g. thong-bao-tiem-chung":
        "chữ không dấu, chữ số và dấu '-', ví dụ thong-bao-tiem-chung",
    "Slots": "Buổi phát",
    "The station has no slots yet.": "Đài chưa khai báo buổi phát nào.",
    "Own times (outside the slots)": "Giờ phát riêng (ngoài các buổi phát)",
    "hours:minutes, separated by commas": "giờ:phút, cách nhau bằng dấu phẩy",
    "From": "Từ ngày",
    "Until": "Đến ngày",
    "Days": "Các ngày trong tuần",
    "Read times": "Số lần đọc",
    "Level": "Mức độ",
    "(from priority)": "(theo thứ tự ưu tiên)",
    "level-thong-thuong": "Thông thường",
    "level-uu-tien": "Ưu tiên",
    "level-khan-cap": "Khẩn cấp",
    "Priority": "Thứ tự ưu tiên",
    "Repeat every": "Phát lặp lại mỗi",
    "Between": "Trong khoảng giờ",
    "Opening jingle": "Nhạc hiệu mở đầu",
    "Closing jingle": "Nhạc hiệu kết thúc",
    "station default": "mặc định của đài",
    "Voice": "Giọng đọc",
    "Speed": "Tốc độ đọc",
    "Engine": "Bộ đọc",
    "station chain": "theo cấu hình của đài",
    "Text to read": "Nội dung cần đọc",
    "Saved.": "Đã lưu.",
    # preview and lexicon
    "Reading preview": "Nghe thử bằng chữ: máy sẽ đọc như sau",
    "Written": "Cách viết",
    "Will be read as": "Máy sẽ đọc là",
    "(pause)": "(ngắt nghỉ)",
    "Check these words": "Các từ cần kiểm tra",
    "unresolved": "chưa đọc được",
    "guessed": "máy tự đoán",
    "line {n}": "dòng {n}",
    "Click a word to choose how it is read; the reading is kept in lexicon.tsv for every notice.":
        "Bấm vào một từ để chọn cách đọc; cách đọc được lưu vào từ điển của đài (lexicon.tsv) và dùng cho mọi bản tin.",
    "Every word can be read.": "Máy đọc được tất cả các từ.",
    "How should this be read?": "Từ này cần đọc thế nào?",
    "Read as": "Đọc là",
    "Add to the lexicon": "Lưu vào từ điển",
    "Cancel": "Hủy",
    "Saved to lexicon.tsv: {written} is read as \u201c{spoken}\u201d.":
        "Đã lưu vào từ điển: {written} sẽ được đọc là \u201c{spoken}\u201d.",
    # listen
    "Listen": "Nghe thử",
    "Make the audio": "Tạo bản thu",
    "Saved text only; this takes a moment.": "Chỉ dùng nội dung đã lưu; việc này mất một lúc.",
    "Download the MP3": "Tải tệp MP3 về máy",
    "No audio yet.": "Chưa có bản thu.",
    "The render failed.": "Không tạo được bản thu.",
    # approval
    "Approved by {who} at {when}.": "Đã được {who} phê duyệt lúc {when}.",
    "Draft: not approved yet (or edited since it was approved).":
        "Bản nháp: chưa được duyệt (hoặc đã sửa sau khi duyệt).",
    "Approve for broadcast": "Duyệt cho phát sóng",
    "Withdraw the approval": "Thu hồi phê duyệt",
    "Only an approver (phê duyệt) or an administrator can approve.":
        "Chỉ người có quyền phê duyệt hoặc quản trị mới duyệt được bản tin.",
    "action-approve": "Duyệt",
    "action-revoke": "Thu hồi",
    # import
    "Import a notice": "Nhập văn bản thông báo",
    "Notice file (.docx or .txt)": "Tệp văn bản (.docx hoặc .txt)",
    "At most {mb} MB for a Word file, {kb} KB for a text file.": "Tệp Word tối đa {mb} MB, tệp chữ tối đa {kb} KB.",
    "Import": "Nhập",
    "The national motto, the recipients, the signature and other parts that must not be read on air are removed. "
    "You can check and edit the text next.":
        "Quốc hiệu, tiêu ngữ, nơi nhận, chữ ký và các phần không đọc trên loa sẽ được bỏ đi. "
        "Sau đó bạn có thể kiểm tra và sửa nội dung.",
    "Imported: {title}": "Đã nhập: {title}",
    "A new draft was made: {name}.md": "Đã tạo bản nháp mới: {name}.md",
    "Removed (never read on air)": "Các phần đã bỏ (không đọc trên loa)",
    "Nothing was removed.": "Không bỏ phần nào.",
    "Open the draft": "Mở bản nháp để sửa",
}
