"""announcer import: notices whose header has no title line (issuer, motto, number, place-date, subject,
recipients in any layout) air nothing from the header and keep the whole body."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from announcer.importer import import_notice


@dataclass
class Case:
    name: str
    text: str
    title: str
    header: tuple[str, ...]
    """Pieces of the header block and the recipients list: none may reach the script body."""
    body: tuple[str, ...]
    """Every body line: all must be in the script body."""


CASES = [
    Case(
        "separate-lines-blank-day",
        "ỦY BAN NHÂN DÂN\nXÃ HÒA PHONG\n\nCỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập – Tự do – Hạnh phúc\n"
        "Số:      /UBND-VP\nV/v tạm ngừng cấp điện để bảo dưỡng\nlưới điện trên địa bàn xã\n"
        "Hòa Phong, ngày    tháng 01 năm 2024\n\nKính gửi:\n- Trưởng các thôn;\n- Đài Truyền thanh xã;\n"
        "- Nhân dân trên địa bàn xã.\n\n"
        "Căn cứ thông báo của Điện lực Tây Hòa, UBND xã thông báo đến Nhân dân như sau:\n"
        "Thời gian cắt điện từ 7h00 đến 16h00 ngày 14/01/2024.\n"
        "Khu vực mất điện: thôn Phú Thứ, thôn Mỹ Thạnh.\n"
        "Đề nghị Nhân dân chủ động sắp xếp công việc./.\n"
        "Nơi nhận:\n- Như trên;\n- Lưu: VT.\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nLê Văn Bình\n",
        "Về việc tạm ngừng cấp điện để bảo dưỡng lưới điện trên địa bàn xã",
        ("ỦY BAN", "XÃ HÒA PHONG", "CỘNG HOÀ", "Độc lập", "UBND-VP", "ngày    tháng", "tháng 01 năm 2024",
         "Kính gửi", "Trưởng các thôn", "Đài Truyền thanh xã", "V/v", "Lê Văn Bình"),
        ("Căn cứ thông báo của Điện lực Tây Hòa", "Thời gian cắt điện từ 7h00", "Khu vực mất điện",
         "Đề nghị Nhân dân chủ động"),
    ),
    Case(
        "table-row-flattened-urgent-title",
        "ĐẢNG BỘ XÃ TÂN LẬP\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "ỦY BAN NHÂN DÂN\tĐộc Lập - Tự Do - Hạnh Phúc\n"
        "Số: 45/TB-UBND\tTân Lập, ngày 03 tháng 4 năm 2024\n\n"
        "THÔNG BÁO KHẨN\nVề việc phòng chống dịch sốt xuất huyết\n"
        "Hiện nay trên địa bàn xã đã ghi nhận 5 ca mắc sốt xuất huyết.\n"
        "UBND xã đề nghị các hộ gia đình diệt lăng quăng, bọ gậy.\n",
        "Thông báo khẩn về việc phòng chống dịch sốt xuất huyết",
        ("ĐẢNG BỘ", "CỘNG HÒA", "Độc Lập", "45/TB-UBND", "Tân Lập, ngày"),
        ("THÔNG BÁO KHẨN", "Về việc phòng chống dịch", "Hiện nay trên địa bàn xã", "UBND xã đề nghị"),
    ),
    Case(
        "subject-first-then-recipients",
        "V/v: tổ chức tiêm vắc xin sởi cho trẻ từ 1 đến 5 tuổi\n"
        "Kính gửi: Ông/bà Trưởng thôn, tổ dân phố\n"
        "Trạm Y tế xã tổ chức tiêm vắc xin sởi vào sáng ngày 20/3/2024 tại Hội trường thôn 2.\n"
        "Đề nghị phụ huynh mang theo sổ tiêm chủng.\n",
        "Về việc tổ chức tiêm vắc xin sởi cho trẻ từ 1 đến 5 tuổi",
        ("V/v", "Kính gửi", "Ông/bà Trưởng thôn"),
        ("Trạm Y tế xã tổ chức tiêm", "Đề nghị phụ huynh"),
    ),
    Case(
        "schedule-title-after-rule",
        "CÔNG AN XÃ AN BÌNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n---------------\n"
        "An Bình, ngày 10 tháng 5 năm 2024\nLỊCH TIẾP CÔNG DÂN\nTHÁNG 5 NĂM 2024\n"
        "Công an xã tiếp công dân vào thứ 3 và thứ 5 hằng tuần.\nĐịa điểm: trụ sở Công an xã.\n",
        "Lịch tiếp công dân tháng 5 năm 2024",
        ("CÔNG AN XÃ AN BÌNH", "CỘNG HÒA", "Độc lập", "An Bình, ngày"),
        ("LỊCH TIẾP CÔNG DÂN", "Công an xã tiếp công dân", "Địa điểm: trụ sở"),
    ),
    Case(
        "invitation-recipients-under-title",
        "UBND HUYỆN TUY AN\nHỘI ĐỒNG NVQS XÃ AN THẠCH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\nAn Thạch, ngày ... tháng ... năm 2024\nGIẤY MỜI\n"
        "Kính gửi: Công dân ..............................\nSinh năm: ..........\n"
        "Hội đồng Nghĩa vụ quân sự xã mời công dân có mặt tại Trạm Y tế xã lúc 7 giờ 00 ngày 15/11/2024.\n"
        "Khi đi mang theo CCCD.\n",
        "Giấy mời",
        ("UBND HUYỆN", "HỘI ĐỒNG NVQS", "CỘNG HÒA", "An Thạch, ngày", "Kính gửi", "Sinh năm"),
        ("GIẤY MỜI", "Hội đồng Nghĩa vụ quân sự xã mời", "Khi đi mang theo CCCD"),
    ),
    Case(
        "official-letter-no-motto",
        "UBND PHƯỜNG 5\nSố: 120/UBND\nV/v tuyên truyền thu gom rác thải\nKính gửi: Ban điều hành các khu phố\n"
        "Thực hiện Kế hoạch số 15/KH-UBND của UBND thành phố, UBND phường đề nghị các khu phố tuyên truyền.\n"
        "Trân trọng./.\n",
        "Về việc tuyên truyền thu gom rác thải",
        ("UBND PHƯỜNG 5", "120/UBND", "Kính gửi", "Ban điều hành"),
        ("Thực hiện Kế hoạch số 15/KH-UBND", "Trân trọng"),
    ),
    Case(
        "table-exported-with-bars-and-a-typo-in-the-motto",
        "ỦY BAN NHÂN DÂN | CỘNG HÕA XÃ HỘI CHỦ NGHĨA VIỆT NAM |\nXÃ XUÂN LỘC | Độc lập - Tự do - Hạnh phúc |\n"
        "Số: 36 /KH - UBND |\nXuân Lộc, ngày 07 tháng 5 năm 2025 |\nKẾ HOẠCH\n"
        "Phòng, chống thiên tai và tìm kiếm cứu nạn năm 2025\n"
        "Căn cứ Luật Phòng, chống thiên tai năm 2013;\nUBND xã xây dựng kế hoạch như sau:\n",
        "Kế hoạch phòng, chống thiên tai và tìm kiếm cứu nạn năm 2025",
        ("ỦY BAN", "CỘNG HÕA", "XÃ XUÂN LỘC", "Độc lập", "36 /KH", "Xuân Lộc, ngày"),
        ("KẾ HOẠCH", "Phòng, chống thiên tai và tìm kiếm", "Căn cứ Luật Phòng", "UBND xã xây dựng kế hoạch"),
    ),
    Case(
        "quoted-subject-under-title",
        "THÔNG BÁO\nUBND XÃ HẢI NINH THÔNG BÁO\n“V/v triển khai phòng chống cơn bão số 4”\n"
        "- Căn cứ công văn chỉ đạo của UBND huyện;\nBan chỉ huy xã đề nghị Nhân dân chằng chống nhà cửa.\n",
        "Thông báo về việc triển khai phòng chống cơn bão số 4",
        (),
        ("Căn cứ công văn chỉ đạo", "Ban chỉ huy xã đề nghị"),
    ),
    Case(
        "capitals-after-the-motto-are-body",
        "HỘI NÔNG DÂN XÃ PHÚ LÂM\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "KÍNH THƯA BÀ CON NÔNG DÂN\nVụ lúa Đông Xuân sắp xuống giống, Hội Nông dân xã thông báo lịch thời vụ.\n",
        "KÍNH THƯA BÀ CON NÔNG DÂN",
        ("HỘI NÔNG DÂN XÃ", "CỘNG HÒA", "Độc lập"),
        ("KÍNH THƯA BÀ CON NÔNG DÂN", "Vụ lúa Đông Xuân sắp xuống giống"),
    ),
    Case(
        "recipients-then-a-dashed-body",
        "UBND XÃ NINH AN\nSố: 88/UBND\nV/v vệ sinh môi trường\nKính gửi:\n- Các thôn;\n- Các hộ gia đình.\n"
        "- Thời gian ra quân: 6 giờ sáng Chủ nhật.\n- Địa điểm: các tuyến đường liên thôn.\n",
        "Về việc vệ sinh môi trường",
        ("UBND XÃ NINH AN", "88/UBND", "Kính gửi", "Các thôn;", "Các hộ gia đình"),
        ("Thời gian ra quân", "Địa điểm: các tuyến đường"),
    ),
    Case(
        "whole-header-on-one-line",
        "UBND TỈNH NINH AN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM SỞ Y TẾ Độc lập - Tự do - Hạnh phúc "
        "Số : 291 /SYT-NVY Phan Thiết, ngày 05 tháng11 năm 2023 V/v tăng cường phòng chống bệnh tay chân miệng "
        "Kính gửi: - Trung tâm Y tế các huyện; - Trạm Y tế các xã, phường. Thời gian qua, số ca mắc tay chân "
        "miệng tăng nhanh.\nĐề nghị các đơn vị thực hiện nghiêm./.\n",
        "Về việc tăng cường phòng chống bệnh tay chân miệng",
        ("UBND TỈNH", "CỘNG HÒA", "Độc lập", "SYT-NVY", "Phan Thiết", "Kính gửi", "Trung tâm Y tế các huyện"),
        ("Thời gian qua, số ca mắc tay chân miệng tăng nhanh", "Đề nghị các đơn vị thực hiện nghiêm"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_untitled_headers_never_air(tmp_path: Path, case: Case) -> None:
    src = tmp_path / f"{case.name}.txt"
    src.write_text(case.text, encoding="utf-8")
    result = import_notice(src, tmp_path / "scripts")
    body = result.dest.read_text(encoding="utf-8").split("---\n", 2)[2]
    assert result.title == case.title
    for gone in case.header:
        assert gone not in body, gone
    for kept in case.body:
        assert kept in body, kept
    if case.header:
        report = " ".join(result.removed)
        assert "header" in report or "Kính gửi" in report


def test_header_in_a_docx_table_row(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    row = document.add_table(rows=1, cols=2).rows[0]
    row.cells[0].text = ("ỦY BAN NHÂN DÂN\nPHƯỜNG HÒA CƯỜNG\nSố:     /UBND\n"
                         "V/v đăng ký tiêm vắc xin phòng dại\ncho chó, mèo")
    row.cells[1].text = ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
                         "Hòa Cường, ngày   tháng 3 năm 2024")
    for line in ("Kính gửi:", "- Ban điều hành các tổ dân phố;", "- Các hộ nuôi chó, mèo.",
                 "Thực hiện kế hoạch phòng chống bệnh dại năm 2024, UBND phường thông báo:",
                 "Thời gian tiêm: từ 7h30 đến 10h30 ngày 16/3/2024.", "Giá tiêm: 30.000 đồng/con.",
                 "Nơi nhận:", "- Như trên;", "- Lưu: VT.", "CHỦ TỊCH", "Phan Thị Hoa"):
        document.add_paragraph(line)
    src = tmp_path / "dai.docx"
    document.save(str(src))
    result = import_notice(src, tmp_path / "scripts")
    body = result.dest.read_text(encoding="utf-8").split("---\n", 2)[2]
    assert result.title == "Về việc đăng ký tiêm vắc xin phòng dại cho chó, mèo"
    for gone in ("ỦY BAN", "HÒA CƯỜNG", "CỘNG HOÀ", "Độc lập", "/UBND", "Hòa Cường, ngày", "Kính gửi",
                 "Ban điều hành các tổ dân phố", "Các hộ nuôi chó", "V/v", "Phan Thị Hoa"):
        assert gone not in body, gone
    for kept in ("Thực hiện kế hoạch phòng chống bệnh dại", "Thời gian tiêm", "Giá tiêm: 30.000 đồng/con."):
        assert kept in body, kept


@pytest.mark.parametrize(
    "text",
    [
        "KÍNH THƯA BÀ CON NHÂN DÂN\nNgày mai phường tổ chức ra quân dọn vệ sinh.\nMời bà con tham gia.\n",
        "Ủy ban nhân dân phường thông báo lịch tiêm chủng\nVề việc này, đề nghị bà con đưa trẻ đến đúng giờ.\n",
    ],
)
def test_text_without_a_header_keeps_every_line(tmp_path: Path, text: str) -> None:
    src = tmp_path / "plain.txt"
    src.write_text(text, encoding="utf-8")
    result = import_notice(src, tmp_path / "scripts")
    body = result.dest.read_text(encoding="utf-8").split("---\n", 2)[2]
    for line in text.strip().split("\n"):
        assert line in body, line
    assert not any("header" in item for item in result.removed)
