//! The words of the generated traffic: Vietnamese customer names, live-selling comments, inbox
//! messages, shop replies and live-video titles, written for this corpus.
//!
//! The mix matters more than the words: diacritics in every name (multi-byte UTF-8), emoji
//! (four-byte UTF-8 and, in JSON escapes, surrogate pairs), short comments next to long
//! multi-line shop replies (which carry `\n` and so force an escape inside the inner JSON).

/// Customers (display names as Facebook or Zalo shows them).
pub(crate) const CUSTOMER_NAMES: &[&str] = &[
    "Nguyễn Thị Hoa",
    "Trần Minh Anh",
    "Lê Thu Hà",
    "Phạm Ngọc Lan",
    "Hoàng Yến",
    "Đỗ Mỹ Linh",
    "Bùi Thanh Tâm",
    "Vũ Quỳnh Như",
    "Đặng Kim Chi",
    "Ngô Bảo Trâm",
    "Dương Thuỳ Trang",
    "Huỳnh Gia Hân",
    "Phan Tuyết Mai",
    "Lý Hồng Nhung",
    "Trịnh Khánh Vy",
    "Mai Phương 🌸",
    "Hương Giang Nguyễn",
    "Tú Uyên",
];

/// Comments on a live video: sizes, product codes, "chốt" (I'll take it), questions.
pub(crate) const LIVE_COMMENTS: &[&str] = &[
    "Nu",
    "chốt 1 áo đỏ size M",
    "lấy 2 cái nha shop",
    "còn màu đen không ạ?",
    "giá bao nhiêu vậy shop",
    "ib em với ạ",
    "A12 size L",
    "B07 1 cái",
    "cho em xem lại cái váy hoa",
    "chốt đơn ❤️",
    "em lấy cái này 😍",
    "ship về Đà Nẵng mấy ngày ạ?",
    "đẹp quá 😍😍",
    "còn size S không shop ơi",
    "🔥🔥🔥",
    "đã chuyển khoản rồi nha 💸",
    "mẫu này có màu be không",
    "chị ơi áo len này mặc có bị xù không",
    "lấy em 1 set đồ bộ màu hồng",
    "C03 x2",
    "hàng có sẵn không hay phải đặt",
    "quần jean lưng cao còn size 27 không ạ",
    "shop ơi em đặt rồi mà chưa thấy ai gọi",
    "xinh quá trời luôn 🥰",
    "Đ05 size XL",
    "bao giờ có đợt hàng mới vậy shop?",
];

/// Private messages from customers.
pub(crate) const INBOX_MESSAGES: &[&str] = &[
    "Chào shop, em muốn hỏi mẫu áo len hôm qua live còn hàng không ạ?",
    "Shop ơi em đặt 2 áo rồi, bao giờ giao vậy ạ",
    "Cho mình xin bảng size với",
    "Địa chỉ: 12 Nguyễn Trãi, Phường Bến Thành, Quận 1, TP.HCM",
    "Em muốn đổi size M sang L được không shop?",
    "Đơn của em giao chưa ạ? Mã đơn SO-2026-0107",
    "ok shop, em chuyển khoản luôn nhé 👍",
    "Mình ở Hà Nội, phí ship bao nhiêu ạ",
    "Cảm ơn shop nha, hàng đẹp lắm 💕",
    "Áo này chất liệu gì vậy ạ? Có co giãn không",
    "Cho em hỏi có ship COD không",
    "Em nhận được hàng rồi, nhưng bị thiếu 1 cái quần",
];

/// Opening lines of the shop's replies.
pub(crate) const SHOP_OPENINGS: &[&str] = &[
    "Dạ em chào chị ạ 🥰",
    "Dạ shop cảm ơn chị đã quan tâm ạ",
    "Dạ vâng ạ",
    "Dạ chị ơi",
];

/// Body lines of the shop's replies; several are joined with newlines into one message.
pub(crate) const SHOP_LINES: &[&str] = &[
    "Mẫu này bên em còn đủ size S, M, L, XL ạ.",
    "Chất liệu len lông cừu pha, mềm mịn, không xù, không phai màu.",
    "Bảng size: S (40-45kg), M (46-52kg), L (53-58kg), XL (59-65kg).",
    "Phí ship toàn quốc 30k, đơn từ 500k được freeship ạ 🚚",
    "Thời gian giao hàng: nội thành 1-2 ngày, tỉnh 3-5 ngày.",
    "Chị cho em xin số điện thoại và địa chỉ để em lên đơn nha.",
    "Shop hỗ trợ đổi size trong vòng 7 ngày nếu sản phẩm còn nguyên tem mác.",
    "Đơn của chị đã được đóng gói và bàn giao cho đơn vị vận chuyển rồi ạ.",
    "Thanh toán: COD hoặc chuyển khoản (Vietcombank, MB Bank, Momo).",
    "Mã giảm giá LIVE50 giảm 50k cho đơn từ 300k, áp dụng đến hết hôm nay ạ 🎁",
    "Màu hiện có: đỏ đô, đen, be, xanh rêu, hồng pastel.",
    "Mọi thắc mắc chị cứ nhắn cho em ạ, em trả lời ngay 💬",
];

/// Titles of the page's live videos, newest first.
pub(crate) const LIVE_TITLES: &[&str] = &[
    "🔴 LIVE xả kho áo len cuối năm - giảm đến 50%",
    "Tối nay 8h: váy Tết 2026 🌸 mẫu mới về",
    "Săn sale đồ bộ mặc nhà chỉ từ 99k",
    "Quần jean lưng cao - đủ size 26 đến 32",
    "Giày dép đồng giá 149k 👟",
    "Phụ kiện túi xách nữ hàng tuyển",
    "Livestream cảm ơn 10.000 người theo dõi 🎉",
];

/// Zalo messages (the Zalo channel gets fewer comments and more conversation).
pub(crate) const ZALO_MESSAGES: &[&str] = &[
    "Nu",
    "Shop ơi còn mẫu đầm suông không",
    "em lấy 1 cái màu xanh nhé",
    "Gửi em ảnh thật sản phẩm với ạ 📷",
    "ok ạ",
    "Bao giờ shop live tiếp vậy",
    "Cho em giữ đơn tới thứ 7 được không ạ 🙏",
    "Em gửi địa chỉ: 45 Lê Lợi, Phường 4, Gò Vấp",
    "dạ",
    "Hàng về chưa shop",
];
