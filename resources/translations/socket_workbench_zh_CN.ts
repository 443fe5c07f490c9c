<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AddressFields</name>
    <message>
        <source>IP address or host name</source>
        <translation>IP 地址或主机名</translation>
    </message>
    <message>
        <source>The host to talk to: an IPv4 address, an IPv6 address or a host name</source>
        <translation>要通信的主机：IPv4 地址、IPv6 地址或主机名</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>主机</translation>
    </message>
    <message>
        <source>any</source>
        <translation>任意</translation>
    </message>
    <message>
        <source>0 = any free port</source>
        <translation>0 = 任意空闲端口</translation>
    </message>
    <message>
        <source>1-65535</source>
        <translation>1-65535</translation>
    </message>
    <message>
        <source>A port number from 1 to 65535</source>
        <translation>端口号，范围 1-65535</translation>
    </message>
    <message>
        <source>A port number from 1 to 65535, or 0 to let the system pick a free port</source>
        <translation>端口号，范围 1-65535；填 0 则由系统分配空闲端口</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>The local address to listen on: any address, loopback only (this computer), one network interface, or an address you type</source>
        <translation>本地监听地址：所有地址、仅本机（回环）、某个网卡的地址，或手动输入的地址</translation>
    </message>
    <message>
        <source>Bind address</source>
        <translation>绑定地址</translation>
    </message>
    <message>
        <source>any IPv4</source>
        <translation>所有 IPv4 地址</translation>
    </message>
    <message>
        <source>any IPv6</source>
        <translation>所有 IPv6 地址</translation>
    </message>
    <message>
        <source>this computer only</source>
        <translation>仅本机</translation>
    </message>
    <message>
        <source>this computer only, IPv6</source>
        <translation>仅本机（IPv6）</translation>
    </message>
</context>
<context>
    <name>AddressesBox</name>
    <message>
        <source>Addresses</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Share addresses</source>
        <translation>共享地址</translation>
    </message>
    <message>
        <source>Every address the server can be reached at; pick one to see its QR code, double-click to copy it</source>
        <translation>可以访问此服务器的所有地址；选中一个查看二维码，双击复制</translation>
    </message>
    <message>
        <source>&amp;Copy address</source>
        <translation>复制地址(&amp;C)</translation>
    </message>
    <message>
        <source>Copy the selected address to the clipboard</source>
        <translation>将选中的地址复制到剪贴板</translation>
    </message>
    <message>
        <source>Copy file lin&amp;ks</source>
        <translation>复制文件链接(&amp;K)</translation>
    </message>
    <message>
        <source>Copy a download link for each selected file (or every file), at the selected address</source>
        <translation>按选中的地址，为每个选中的文件（未选中时为全部文件）复制下载链接</translation>
    </message>
    <message>
        <source>Start the server first: it has no address yet</source>
        <translation>请先启动服务器：目前还没有地址</translation>
    </message>
    <message>
        <source>Copied {url}</source>
        <translation>已复制 {url}</translation>
    </message>
    <message>
        <source>The list is empty: add files to share first</source>
        <translation>列表为空：请先添加要共享的文件</translation>
    </message>
    <message numerus="yes">
        <source>Copied {count} links</source>
        <translation>
            <numerusform>已复制 {count} 个链接</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AutoReplyBox</name>
    <message>
        <source>Auto-reply</source>
        <translation>自动回复</translation>
    </message>
    <message>
        <source>&amp;Reply to every datagram with:</source>
        <translation>收到数据报时自动回复(&amp;R)：</translation>
    </message>
    <message>
        <source>Send this payload back to the sender of each datagram</source>
        <translation>向每个数据报的发送方回发此内容</translation>
    </message>
</context>
<context>
    <name>ClientConnection</name>
    <message>
        <source>New connection</source>
        <translation>新连接</translation>
    </message>
    <message>
        <source>Connecting to {peer}…</source>
        <translation>正在连接 {peer}…</translation>
    </message>
    <message>
        <source>{reason}; reconnecting in {delay} s, attempt {attempt}</source>
        <translation>{reason}；{delay} 秒后重连（第 {attempt} 次）</translation>
    </message>
    <message>
        <source>Sent the file {path} ({size})</source>
        <translation>已发送文件 {path}（{size}）</translation>
    </message>
    <message>
        <source>Connected to {peer}</source>
        <translation>已连接到 {peer}</translation>
    </message>
    <message>
        <source>{message} with {version} ({cipher})</source>
        <translation>{message}，使用 {version}（{cipher}）</translation>
    </message>
    <message>
        <source>{message}; server certificate {fingerprint}</source>
        <translation>{message}；服务器证书指纹 {fingerprint}</translation>
    </message>
    <message>
        <source>Disconnected from {peer}: {reason}</source>
        <translation>与 {peer} 的连接已断开：{reason}</translation>
    </message>
    <message>
        <source>Reply from {peer} after {ms} ms</source>
        <translation>{ms} ms 后收到 {peer} 的回复</translation>
    </message>
</context>
<context>
    <name>ClientSecurityBox</name>
    <message>
        <source>Security</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>Use &amp;TLS</source>
        <translation>使用 TLS(&amp;T)</translation>
    </message>
    <message>
        <source>Encrypt the connection with TLS</source>
        <translation>用 TLS 加密连接</translation>
    </message>
    <message>
        <source>Verify certificate</source>
        <translation>校验证书</translation>
    </message>
    <message>
        <source>Pin SHA-256 fingerprint</source>
        <translation>固定 SHA-256 指纹</translation>
    </message>
    <message>
        <source>Insecure (no verification)</source>
        <translation>不安全（不校验证书）</translation>
    </message>
    <message>
        <source>How the server&apos;s certificate is checked</source>
        <translation>如何校验服务器证书</translation>
    </message>
    <message>
        <source>Certificate check</source>
        <translation>证书校验</translation>
    </message>
    <message>
        <source>AB:CD:… (64 hex digits)</source>
        <translation>AB:CD:…（64 位十六进制）</translation>
    </message>
    <message>
        <source>The SHA-256 fingerprint the server&apos;s certificate must have</source>
        <translation>服务器证书必须匹配的 SHA-256 指纹</translation>
    </message>
    <message>
        <source>Pinned fingerprint</source>
        <translation>固定指纹</translation>
    </message>
    <message>
        <source>System certificates</source>
        <translation>系统证书</translation>
    </message>
    <message>
        <source>Optional: a PEM file of the certificate authorities to trust</source>
        <translation>可选：要信任的 CA 证书（PEM 文件）</translation>
    </message>
    <message>
        <source>CA file</source>
        <translation>CA 文件</translation>
    </message>
    <message>
        <source>CA file…</source>
        <translation>CA 文件…</translation>
    </message>
    <message>
        <source>Choose a CA certificate file</source>
        <translation>选择 CA 证书文件</translation>
    </message>
    <message>
        <source>Certificate checks are off: the connection is encrypted, but anyone on the network path could pose as the server and read or change the traffic.</source>
        <translation>证书校验已关闭：连接虽已加密，但网络路径上的任何人都可以冒充服务器，读取或篡改流量。</translation>
    </message>
    <message>
        <source>https:// &amp;servers:</source>
        <translation>https:// 服务器(&amp;S)：</translation>
    </message>
    <message>
        <source>CA certificates</source>
        <translation>CA 证书</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt);;All files (*)</source>
        <translation>PEM 文件 (*.pem *.crt);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>ClientsBox</name>
    <message>
        <source>Clients</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>Connected clients</source>
        <translation>已连接的客户端</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>连接时间</translation>
    </message>
    <message>
        <source>In</source>
        <translation>接收</translation>
    </message>
    <message>
        <source>Out</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>&amp;Disconnect selected</source>
        <translation>断开选中(&amp;D)</translation>
    </message>
    <message>
        <source>Close the connection of the selected clients</source>
        <translation>关闭选中客户端的连接</translation>
    </message>
</context>
<context>
    <name>ConnectionCounters</name>
    <message>
        <source>Connected to {peer}</source>
        <translation>已连接到 {peer}</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>未连接</translation>
    </message>
    <message>
        <source>{state} · received {received} · sent {sent}</source>
        <translation>{state} · 已接收 {received} · 已发送 {sent}</translation>
    </message>
    <message>
        <source>{counters} · {count} heartbeats</source>
        <translation>{counters} · 心跳 {count} 次</translation>
    </message>
</context>
<context>
    <name>ConnectionOptionsBox</name>
    <message>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>&amp;Keepalive</source>
        <translation>保活(&amp;K)</translation>
    </message>
    <message>
        <source>Let the system probe an idle connection (TCP keepalive)</source>
        <translation>由系统探测空闲连接（TCP 保活）</translation>
    </message>
    <message>
        <source>Keepalive idle time</source>
        <translation>保活空闲时间</translation>
    </message>
    <message>
        <source>Seconds of silence before the first probe</source>
        <translation>连接空闲多少秒后发出第一个探测</translation>
    </message>
    <message>
        <source>Keepalive interval</source>
        <translation>保活探测间隔</translation>
    </message>
    <message>
        <source>Seconds between probes</source>
        <translation>两次探测之间的秒数</translation>
    </message>
    <message>
        <source>Keepalive probes</source>
        <translation>保活探测次数</translation>
    </message>
    <message>
        <source>Unanswered probes before the connection is given up</source>
        <translation>连续多少个探测无响应后放弃连接</translation>
    </message>
    <message>
        <source>idle </source>
        <translation>空闲 </translation>
    </message>
    <message>
        <source>every </source>
        <translation>每隔 </translation>
    </message>
    <message>
        <source> probes</source>
        <translation> 次探测</translation>
    </message>
    <message>
        <source>Heart&amp;beat</source>
        <translation>心跳(&amp;B)</translation>
    </message>
    <message>
        <source>Send a payload on a timer while connected</source>
        <translation>连接期间定时发送一段数据</translation>
    </message>
    <message>
        <source>Heartbeat payload; escapes such as \n, \r and \x00 are understood</source>
        <translation>心跳内容；支持 \n、\r、\x00 等转义</translation>
    </message>
    <message>
        <source>Heartbeat payload</source>
        <translation>心跳内容</translation>
    </message>
    <message>
        <source>Heartbeat period</source>
        <translation>心跳间隔</translation>
    </message>
    <message>
        <source>Send the heartbeat every this many seconds</source>
        <translation>每隔多少秒发送一次心跳</translation>
    </message>
    <message>
        <source>Dead-peer timeout</source>
        <translation>对端无响应判定时间</translation>
    </message>
    <message>
        <source>Close the connection when the server sends nothing for this long (0 = off)</source>
        <translation>服务器在这段时间内没有发来任何数据就关闭连接（0 = 关闭此功能）</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Auto-&amp;reconnect</source>
        <translation>断线自动重连(&amp;R)</translation>
    </message>
    <message>
        <source>Connect again after the connection is lost, waiting longer each time</source>
        <translation>连接断开后自动重连，每次等待时间逐渐加长</translation>
    </message>
    <message>
        <source>Maximum reconnect delay</source>
        <translation>最长重连间隔</translation>
    </message>
    <message>
        <source>The longest wait between reconnect attempts</source>
        <translation>两次重连尝试之间的最长等待时间</translation>
    </message>
    <message>
        <source>wait up to </source>
        <translation>最长等待 </translation>
    </message>
    <message>
        <source>D&amp;ead peer after:</source>
        <translation>对端无响应判定(&amp;E)：</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>The heartbeat is empty: type the bytes to send</source>
        <translation>心跳内容为空：请输入要发送的数据</translation>
    </message>
</context>
<context>
    <name>ConnectionsPage</name>
    <message>
        <source>Relayed connections</source>
        <translation>中继中的连接</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>连接时间</translation>
    </message>
    <message>
        <source>&amp;Close selected</source>
        <translation>关闭所选(&amp;C)</translation>
    </message>
    <message>
        <source>Close the selected connections in order (FIN)</source>
        <translation>正常关闭所选连接 (FIN)</translation>
    </message>
    <message>
        <source>&amp;Reset selected</source>
        <translation>重置所选(&amp;R)</translation>
    </message>
    <message>
        <source>Reset the selected connections (RST)</source>
        <translation>重置所选连接 (RST)</translation>
    </message>
</context>
<context>
    <name>DownloadHistory</name>
    <message>
        <source>Finished downloads</source>
        <translation>已完成的下载</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Open in file &amp;manager</source>
        <translation>在文件管理器中打开(&amp;M)</translation>
    </message>
    <message>
        <source>Show the folder of the selected download (or the save folder)</source>
        <translation>打开选中下载所在的文件夹（未选中时打开保存文件夹）</translation>
    </message>
    <message>
        <source>Clear histor&amp;y</source>
        <translation>清除记录(&amp;Y)</translation>
    </message>
    <message>
        <source>Forget the finished downloads (the files stay)</source>
        <translation>清除已完成的下载记录（文件保留）</translation>
    </message>
    <message>
        <source>✗ failed</source>
        <translation>✗ 失败</translation>
    </message>
    <message>
        <source>✓ sent</source>
        <translation>✓ 已发送</translation>
    </message>
    <message>
        <source>Sent to the server, which checked its SHA-256</source>
        <translation>已发送到服务器，服务器已校验其 SHA-256</translation>
    </message>
    <message>
        <source>✓ up to date</source>
        <translation>✓ 已是最新</translation>
    </message>
    <message>
        <source>Already there with the server&apos;s SHA-256: not fetched</source>
        <translation>本地已有且与服务器的 SHA-256 相同：未下载</translation>
    </message>
    <message>
        <source>✓ verified</source>
        <translation>✓ 已校验</translation>
    </message>
    <message>
        <source>not verified</source>
        <translation>未校验</translation>
    </message>
    <message>
        <source>The folder {folder} does not exist any more</source>
        <translation>文件夹 {folder} 已不存在</translation>
    </message>
</context>
<context>
    <name>DownloadPanel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Pick files or folders in the list first</source>
        <translation>请先在列表中选择文件或文件夹</translation>
    </message>
    <message>
        <source>List the server&apos;s files first (List files)</source>
        <translation>请先列出服务器的文件（列出文件）</translation>
    </message>
    <message>
        <source>The URL names no file: pick one from the list (List files), or add its name, like {example}</source>
        <translation>地址中没有文件名：请从列表中选择（列出文件），或在地址末尾加上文件名，例如 {example}</translation>
    </message>
    <message>
        <source>folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>not known</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>{url}
Double-click to open the folder</source>
        <translation>{url}
双击打开此文件夹</translation>
    </message>
    <message>
        <source>Each file in it is verified on its own</source>
        <translation>其中每个文件都会单独校验</translation>
    </message>
    <message>
        <source>The server has not computed the checksum yet</source>
        <translation>服务器尚未算出校验值</translation>
    </message>
    <message>
        <source>Send files to the server</source>
        <translation>发送文件到服务器</translation>
    </message>
    <message>
        <source>Wait until the transfer under way ends</source>
        <translation>请等待当前传输结束</translation>
    </message>
    <message>
        <source>1 download in progress</source>
        <translation>1 个下载正在进行</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>{server} needs a password:</source>
        <translation>{server} 需要密码：</translation>
    </message>
</context>
<context>
    <name>FaultsPage</name>
    <message>
        <source>Faults apply to</source>
        <translation>故障作用方向</translation>
    </message>
    <message>
        <source>Both directions</source>
        <translation>双向</translation>
    </message>
    <message>
        <source>-&gt; to the target</source>
        <translation>-&gt; 发往目标</translation>
    </message>
    <message>
        <source>&lt;- to the client</source>
        <translation>&lt;- 发回客户端</translation>
    </message>
    <message>
        <source>The direction the faults below apply to; the other one flows untouched</source>
        <translation>下面的故障作用于哪个方向；另一个方向照常转发</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>Delay</source>
        <translation>延迟</translation>
    </message>
    <message>
        <source>Jitter</source>
        <translation>抖动</translation>
    </message>
    <message>
        <source>Bandwidth limit</source>
        <translation>带宽限制</translation>
    </message>
    <message>
        <source> B/s</source>
        <translation> B/秒</translation>
    </message>
    <message>
        <source>unlimited</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>Loss (UDP)</source>
        <translation>丢包率 (UDP)</translation>
    </message>
    <message>
        <source>Duplication (UDP)</source>
        <translation>重复率 (UDP)</translation>
    </message>
    <message>
        <source>Reordering (UDP)</source>
        <translation>乱序率 (UDP)</translation>
    </message>
    <message>
        <source>Slice size (TCP)</source>
        <translation>分片大小 (TCP)</translation>
    </message>
    <message>
        <source> B</source>
        <translation> B</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Pause after each slice</source>
        <translation>每片之后的停顿</translation>
    </message>
    <message>
        <source>Reset after (TCP)</source>
        <translation>多少字节后重置 (TCP)</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>Stall</source>
        <translation>停滞</translation>
    </message>
    <message>
        <source>Forward nothing, but keep the connections open</source>
        <translation>不转发任何数据，但保持连接</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>宕机</translation>
    </message>
    <message>
        <source>Refuse new connections and drop every datagram</source>
        <translation>拒绝新连接并丢弃所有数据报</translation>
    </message>
    <message>
        <source>Delay:</source>
        <translation>延迟：</translation>
    </message>
    <message>
        <source>Jitter:</source>
        <translation>抖动：</translation>
    </message>
    <message>
        <source>Bandwidth:</source>
        <translation>带宽：</translation>
    </message>
    <message>
        <source>Loss:</source>
        <translation>丢包：</translation>
    </message>
    <message>
        <source>Duplicate:</source>
        <translation>重复：</translation>
    </message>
    <message>
        <source>Reorder:</source>
        <translation>乱序：</translation>
    </message>
    <message>
        <source>Slice:</source>
        <translation>分片：</translation>
    </message>
    <message>
        <source>Slice pause:</source>
        <translation>分片停顿：</translation>
    </message>
    <message>
        <source>Reset after:</source>
        <translation>重置阈值：</translation>
    </message>
    <message>
        <source>Apply to:</source>
        <translation>作用于：</translation>
    </message>
</context>
<context>
    <name>FileJob</name>
    <message>
        <source>Downloading {name} from {server}…</source>
        <translation>正在从 {server} 下载 {name}…</translation>
    </message>
    <message>
        <source>Downloading {name}: {progress}</source>
        <translation>正在下载 {name}：{progress}</translation>
    </message>
    <message>
        <source>Saved {name} ({size}) in {folder}</source>
        <translation>已将 {name}（{size}）保存到 {folder}</translation>
    </message>
</context>
<context>
    <name>FileServerPanel</name>
    <message>
        <source>The upload folder {path} does not exist.</source>
        <translation>上传文件夹 {path} 不存在。</translation>
    </message>
    <message>
        <source>Opening port {port}…</source>
        <translation>正在打开端口 {port}…</translation>
    </message>
    <message numerus="yes">
        <source>{count} file transfers in progress</source>
        <translation>
            <numerusform>{count} 个文件传输正在进行</numerusform>
        </translation>
    </message>
    <message>
        <source>Serving {files} at {url}</source>
        <translation>正在共享 {files}，地址 {url}</translation>
    </message>
    <message>
        <source>Serving at {url}, but the list is empty: drop files here or use Add files… to share them</source>
        <translation>已在 {url} 开始共享，但列表是空的：把文件拖到这里或点“添加文件…”来共享</translation>
    </message>
    <message>
        <source>Stopped serving on {address}</source>
        <translation>已停止在 {address} 上的服务</translation>
    </message>
    <message numerus="yes">
        <source>{count} files</source>
        <translation>
            <numerusform>{count} 个文件</numerusform>
        </translation>
    </message>
    <message>
        <source>File server {address}: {files}</source>
        <translation>文件共享 {address}：{files}</translation>
    </message>
    <message numerus="yes">
        <source>, {count} downloading</source>
        <translation>
            <numerusform>，{count} 个正在下载</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FoundServers</name>
    <message>
        <source>Shares found on the network</source>
        <translation>网络上找到的共享</translation>
    </message>
    <message>
        <source>Shares that announce themselves on the local network; click one to fill in its address (and the certificate fingerprint to pin), double-click to list its files</source>
        <translation>在局域网上自我宣告的共享；单击填入其地址（以及要固定的证书指纹），双击列出其文件</translation>
    </message>
    <message>
        <source>Found on the networ&amp;k:</source>
        <translation>在网络上找到(&amp;K)：</translation>
    </message>
    <message>
        <source>{name}  {url}  (TLS)</source>
        <translation>{name}  {url}  （TLS）</translation>
    </message>
    <message>
        <source>{urls}
Certificate SHA-256 fingerprint: {fingerprint}</source>
        <translation>{urls}
证书 SHA-256 指纹：{fingerprint}</translation>
    </message>
    <message>
        <source>{name}  {url}</source>
        <translation>{name}  {url}</translation>
    </message>
    <message>
        <source>Cannot look for shares: {reason}</source>
        <translation>无法查找共享：{reason}</translation>
    </message>
    <message>
        <source>Looking for shares on the network is turned off (SWB_NO_MDNS).</source>
        <translation>已关闭在网络上查找共享（SWB_NO_MDNS）。</translation>
    </message>
    <message>
        <source>Looking for shares on the local network…</source>
        <translation>正在局域网上查找共享…</translation>
    </message>
</context>
<context>
    <name>HandSendBox</name>
    <message>
        <source>Send from this port</source>
        <translation>从此端口发送</translation>
    </message>
    <message>
        <source>Payload to send</source>
        <translation>要发送的数据</translation>
    </message>
    <message>
        <source>Se&amp;nd</source>
        <translation>发送(&amp;N)</translation>
    </message>
    <message>
        <source>Send the payload from the listening port to this host and port</source>
        <translation>从监听端口把数据发送到此主机和端口</translation>
    </message>
    <message>
        <source>To se&amp;lected sender</source>
        <translation>发给选中的发送方(&amp;L)</translation>
    </message>
    <message>
        <source>Send the payload to the sender of the row selected in the log</source>
        <translation>把数据发送给日志中选中行的发送方</translation>
    </message>
    <message>
        <source>T&amp;o:</source>
        <translation>目标(&amp;O)：</translation>
    </message>
</context>
<context>
    <name>ListenBox</name>
    <message>
        <source>Listen</source>
        <translation>监听</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>启动(&amp;S)</translation>
    </message>
    <message>
        <source>Start listening (Ctrl+R)</source>
        <translation>开始监听（Ctrl+R）</translation>
    </message>
    <message>
        <source>St&amp;op</source>
        <translation>停止(&amp;O)</translation>
    </message>
    <message>
        <source>Stop the server and close every connection (Ctrl+.)</source>
        <translation>停止服务器并关闭所有连接（Ctrl+.）</translation>
    </message>
    <message>
        <source>Maximum clients at once</source>
        <translation>同时服务的最大客户端数</translation>
    </message>
    <message>
        <source>Clients served at once; more are refused. Lowered when the system cannot hold that many (the status line then says why)</source>
        <translation>同时服务的客户端数；超出的会被拒绝。系统容纳不下时会自动调低（状态栏会说明原因）</translation>
    </message>
    <message>
        <source>Idle timeout</source>
        <translation>空闲超时</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>Close a client after this many seconds with nothing sent or received</source>
        <translation>客户端在这么多秒内既无发送也无接收时，断开它</translation>
    </message>
    <message>
        <source>&amp;Keepalive probes</source>
        <translation>保活探测(&amp;K)</translation>
    </message>
    <message>
        <source>Probe quiet clients (TCP keepalive), so a client whose computer vanished is disconnected within about 2 minutes instead of holding its slot forever</source>
        <translation>探测空闲的客户端（TCP 保活），这样计算机已消失的客户端会在约 2 分钟内被断开，而不会永远占着名额</translation>
    </message>
    <message>
        <source>Add&amp;ress:</source>
        <translation>地址(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Max clients:</source>
        <translation>最大客户端数(&amp;M)：</translation>
    </message>
    <message>
        <source>&amp;Idle timeout:</source>
        <translation>空闲超时(&amp;I)：</translation>
    </message>
</context>
<context>
    <name>LoadTest</name>
    <message>
        <source>&amp;Send to all</source>
        <translation>全部发送(&amp;S)</translation>
    </message>
    <message>
        <source>Send the payload on every connected client</source>
        <translation>在每个已连接的客户端上发送此数据</translation>
    </message>
    <message>
        <source>&amp;Disconnect all</source>
        <translation>全部断开(&amp;D)</translation>
    </message>
    <message>
        <source>Close every connection of this test</source>
        <translation>关闭此测试的所有连接</translation>
    </message>
    <message>
        <source>Pa&amp;yload</source>
        <translation>发送数据(&amp;Y)</translation>
    </message>
    <message>
        <source>{count} × {target}</source>
        <translation>{count} × {target}</translation>
    </message>
    <message>
        <source>Connecting {count} clients to {peer}…</source>
        <translation>正在用 {count} 个客户端连接 {peer}…</translation>
    </message>
    <message>
        <source>No client is connected</source>
        <translation>没有已连接的客户端</translation>
    </message>
    <message numerus="yes">
        <source>Sent to {count} clients</source>
        <translation>
            <numerusform>已发送给 {count} 个客户端</numerusform>
        </translation>
    </message>
    <message>
        <source>{message}; {count} did not take it (their queue is full)</source>
        <translation>{message}；{count} 个未接收（其发送队列已满）</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>Disconnected: {reason}</source>
        <translation>已断开：{reason}</translation>
    </message>
    <message>
        <source>{count} clients to {peer}: {connected} connected, {now} still up, {failed} failed, {closed} closed · received {received} · sent {sent}</source>
        <translation>{count} 个客户端连接 {peer}：{connected} 个连上，{now} 个仍在线，{failed} 个失败，{closed} 个已关闭 · 收到 {received} · 发出 {sent}</translation>
    </message>
</context>
<context>
    <name>LogTools</name>
    <message>
        <source>More</source>
        <translation>更多</translation>
    </message>
    <message>
        <source>Copy bytes, export, receive to file, verify a checksum, hex dump, rate graph</source>
        <translation>复制字节、导出、接收转向文件、校验和检查、十六进制转储、速率图</translation>
    </message>
    <message>
        <source>Show the data column as text or as hex bytes</source>
        <translation>数据列按文本还是十六进制字节显示</translation>
    </message>
    <message>
        <source>The encoding used to show received bytes as text</source>
        <translation>把收到的字节显示为文本时使用的编码</translation>
    </message>
    <message>
        <source>How a TCP stream is cut into rows: raw chunks, lines, length-prefixed messages; or type fixed:N or delim:HEX (a partial frame waits for its rest)</source>
        <translation>TCP 数据流如何分成行：原始数据块、按行、带长度前缀的消息；也可输入 fixed:N 或 delim:HEX（不完整的帧等待其余部分）</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>Hex</source>
        <translation>十六进制</translation>
    </message>
    <message>
        <source>Show data as</source>
        <translation>数据显示方式</translation>
    </message>
    <message>
        <source>Display encoding</source>
        <translation>显示编码</translation>
    </message>
    <message>
        <source>Framing</source>
        <translation>分帧</translation>
    </message>
    <message>
        <source>Follow</source>
        <translation>自动滚动</translation>
    </message>
    <message>
        <source>Scroll to each new row; untick to pause scrolling and read</source>
        <translation>有新记录时滚动到底部；取消勾选可暂停滚动，方便查看</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Copy the selected rows (all rows when none is selected)</source>
        <translation>复制选中的行（未选中时复制全部）</translation>
    </message>
    <message>
        <source>Remove every row from the log</source>
        <translation>清空全部记录</translation>
    </message>
    <message>
        <source>Save the log as CSV, text, hex, raw bytes or a pcapng capture for Wireshark</source>
        <translation>将日志保存为 CSV、文本、十六进制、原始字节或供 Wireshark 使用的 pcapng 抓包文件</translation>
    </message>
    <message>
        <source>Show or hide the search and filter row (Ctrl+F)</source>
        <translation>显示或隐藏搜索和过滤行（Ctrl+F）</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <source>Copy bytes as text</source>
        <translation>以文本复制字节</translation>
    </message>
    <message>
        <source>Copy bytes as hex</source>
        <translation>以十六进制复制字节</translation>
    </message>
    <message>
        <source>Copy raw bytes</source>
        <translation>复制原始字节</translation>
    </message>
    <message>
        <source>Export selected rows…</source>
        <translation>导出所选行…</translation>
    </message>
    <message>
        <source>Export as pcapng for Wireshark…</source>
        <translation>导出为 Wireshark 的 pcapng…</translation>
    </message>
    <message>
        <source>Receive to file…</source>
        <translation>接收转向文件…</translation>
    </message>
    <message>
        <source>Verify checksum</source>
        <translation>校验和检查</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Hex dump pane</source>
        <translation>十六进制转储窗格</translation>
    </message>
    <message>
        <source>Go to offset in the hex dump…</source>
        <translation>跳转到十六进制转储中的偏移…</translation>
    </message>
    <message>
        <source>Rate graph</source>
        <translation>速率图</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Text (in the display encoding) or, with Hex ticked, bytes in hex to look for</source>
        <translation>要查找的文本（按显示编码），勾选十六进制时为十六进制字节</translation>
    </message>
    <message>
        <source>Search the log</source>
        <translation>搜索日志</translation>
    </message>
    <message>
        <source>Search for bytes given in hex, like 0D 0A</source>
        <translation>按十六进制查找字节，例如 0D 0A</translation>
    </message>
    <message>
        <source>Select the previous matching row</source>
        <translation>选中上一个匹配行</translation>
    </message>
    <message>
        <source>Select the next matching row</source>
        <translation>选中下一个匹配行</translation>
    </message>
    <message>
        <source>Previous</source>
        <translation>上一个</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>下一个</translation>
    </message>
    <message>
        <source>Show rows of both directions, only received or only sent</source>
        <translation>显示双向的行，或只显示接收的，或只显示发送的</translation>
    </message>
    <message>
        <source>Show the rows of every peer or of one (a client of the server)</source>
        <translation>显示所有对端的行，或只显示一个对端（服务器的某个客户端）</translation>
    </message>
    <message>
        <source>In and out</source>
        <translation>收和发</translation>
    </message>
    <message>
        <source>In only</source>
        <translation>只看接收</translation>
    </message>
    <message>
        <source>Out only</source>
        <translation>只看发送</translation>
    </message>
    <message>
        <source>All peers</source>
        <translation>所有对端</translation>
    </message>
    <message>
        <source>Direction filter</source>
        <translation>方向过滤</translation>
    </message>
    <message>
        <source>Peer filter</source>
        <translation>对端过滤</translation>
    </message>
    <message>
        <source>Only matching</source>
        <translation>只显示匹配</translation>
    </message>
    <message>
        <source>Show only the rows that hold what is searched for</source>
        <translation>只显示包含搜索内容的行</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Socket Workbench</source>
        <translation>Socket 工作台</translation>
    </message>
    <message>
        <source>Panels</source>
        <translation>功能面板</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>The new language is used the next time Socket Workbench starts.</source>
        <translation>新的界面语言将在下次启动 Socket 工作台时生效。</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Quit Socket Workbench</source>
        <translation>退出 Socket Workbench</translation>
    </message>
    <message>
        <source>Quitting now stops what is still going on:</source>
        <translation>现在退出将停止以下仍在进行的工作：</translation>
    </message>
    <message>
        <source>Don&apos;t ask again</source>
        <translation>不再询问</translation>
    </message>
</context>
<context>
    <name>MirrorJob</name>
    <message>
        <source>Downloading from {server} into {folder}…</source>
        <translation>正在从 {server} 下载到 {folder}…</translation>
    </message>
    <message numerus="yes">
        <source>{done} of {count} files</source>
        <translation>
            <numerusform>{done} / {count} 个文件</numerusform>
        </translation>
    </message>
    <message>
        <source>Downloading: {progress}</source>
        <translation>正在下载：{progress}</translation>
    </message>
    <message>
        <source>{downloaded} downloaded, {current} up to date, {failed} failed</source>
        <translation>已下载 {downloaded} 个，{current} 个已是最新，{failed} 个失败</translation>
    </message>
    <message>
        <source>{summary} in {folder}</source>
        <translation>{summary}，保存在 {folder}</translation>
    </message>
    <message>
        <source>(first: {path}: {reason})</source>
        <translation>（第一个：{path}：{reason}）</translation>
    </message>
    <message>
        <source>The download was cancelled: Resume fetches only what is missing (partial files are kept)</source>
        <translation>下载已取消：点击“续传”只下载缺少的部分（已下载的部分文件会保留）</translation>
    </message>
</context>
<context>
    <name>PacketDialog</name>
    <message>
        <source>Packet</source>
        <translation>数据包</translation>
    </message>
    <message>
        <source>Optional group, like modbus</source>
        <translation>可选分组，例如 modbus</translation>
    </message>
    <message>
        <source>Empty: the TCP Server&apos;s clients</source>
        <translation>留空：发给 TCP 服务器的客户端</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>any</source>
        <translation>任意</translation>
    </message>
    <message>
        <source>until stopped</source>
        <translation>直到停止</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> 毫秒</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Folder:</source>
        <translation>分组(&amp;F)：</translation>
    </message>
    <message>
        <source>P&amp;rotocol:</source>
        <translation>协议(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Host:</source>
        <translation>主机(&amp;H)：</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Local port:</source>
        <translation>本地端口(&amp;L)：</translation>
    </message>
    <message>
        <source>&amp;Repeat:</source>
        <translation>重复次数(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Interval:</source>
        <translation>间隔(&amp;I)：</translation>
    </message>
    <message>
        <source>A packet named {name} exists already</source>
        <translation>已有名为 {name} 的数据包</translation>
    </message>
</context>
<context>
    <name>PacketDispatcher</name>
    <message>
        <source>UDP Send is still sending: stop it first, then send {name}</source>
        <translation>UDP 发送仍在进行：请先停止，再发送 {name}</translation>
    </message>
    <message>
        <source>Sent {name} from UDP Send</source>
        <translation>已通过 UDP 发送面板发送 {name}</translation>
    </message>
    <message>
        <source>The TCP Client is busy with another connection: disconnect it to send {name}</source>
        <translation>TCP 客户端正忙于另一个连接：请先断开，再发送 {name}</translation>
    </message>
    <message>
        <source>Sent {name} from the TCP Client</source>
        <translation>已通过 TCP 客户端发送 {name}</translation>
    </message>
</context>
<context>
    <name>PacketLibraryFile</name>
    <message>
        <source>{problem}. The file is left as it is: fix it or open another.</source>
        <translation>{problem}。文件保持原样：请修复它或打开另一个文件。</translation>
    </message>
    <message numerus="yes">
        <source>{count} packets in {path}</source>
        <translation>
            <numerusform>{path} 中有 {count} 个数据包</numerusform>
        </translation>
    </message>
    <message>
        <source>Saved the library to {path}</source>
        <translation>数据包库已保存到 {path}</translation>
    </message>
    <message numerus="yes">
        <source>Imported {count} packets ({added} new, {replaced} replaced)</source>
        <translation>
            <numerusform>已导入 {count} 个数据包（新增 {added} 个，替换 {replaced} 个）</numerusform>
        </translation>
    </message>
    <message>
        <source>Packet Sender export or packet library (*.json);;All files (*)</source>
        <translation>Packet Sender 导出文件或数据包库 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Import packets</source>
        <translation>导入数据包</translation>
    </message>
    <message>
        <source>Packet library (*.json)</source>
        <translation>数据包库 (*.json)</translation>
    </message>
    <message>
        <source>Open a packet library</source>
        <translation>打开数据包库</translation>
    </message>
    <message>
        <source>Save the packet library</source>
        <translation>保存数据包库</translation>
    </message>
    <message>
        <source>The library file cannot be read, so it is not changed: open another</source>
        <translation>无法读取数据包库文件，因此不会修改它：请打开另一个</translation>
    </message>
</context>
<context>
    <name>PacketLibraryPanel</name>
    <message>
        <source>Search packets</source>
        <translation>搜索数据包</translation>
    </message>
    <message>
        <source>Saved packets</source>
        <translation>已保存的数据包</translation>
    </message>
    <message>
        <source>&amp;Send</source>
        <translation>发送(&amp;S)</translation>
    </message>
    <message>
        <source>Send the selected packet (Enter or double click)</source>
        <translation>发送选中的数据包（回车或双击）</translation>
    </message>
    <message>
        <source>&amp;New…</source>
        <translation>新建(&amp;N)…</translation>
    </message>
    <message>
        <source>More</source>
        <translation>更多</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>编辑(&amp;E)…</translation>
    </message>
    <message>
        <source>D&amp;uplicate</source>
        <translation>复制一份(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>删除(&amp;D)</translation>
    </message>
    <message>
        <source>Move &amp;up</source>
        <translation>上移(&amp;U)</translation>
    </message>
    <message>
        <source>Move do&amp;wn</source>
        <translation>下移(&amp;W)</translation>
    </message>
    <message>
        <source>New packet</source>
        <translation>新数据包</translation>
    </message>
    <message>
        <source>Select a packet first</source>
        <translation>请先选择一个数据包</translation>
    </message>
    <message numerus="yes">
        <source>Deleted {count} packets</source>
        <translation>
            <numerusform>已删除 {count} 个数据包</numerusform>
        </translation>
    </message>
    <message>
        <source>Saved {name}</source>
        <translation>已保存 {name}</translation>
    </message>
    <message>
        <source>Double-click a packet or press Enter to send it</source>
        <translation>双击数据包或按回车键发送</translation>
    </message>
    <message numerus="yes">
        <source>{size} bytes: {bytes}</source>
        <translation>
            <numerusform>{size} 字节：{bytes}</numerusform>
        </translation>
    </message>
    <message>
        <source>Packets</source>
        <translation>数据包</translation>
    </message>
    <message>
        <source>&amp;Packets</source>
        <translation>数据包(&amp;P)</translation>
    </message>
    <message>
        <source>Show the &amp;packet library</source>
        <translation>显示数据包库(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;New packet…</source>
        <translation>新建数据包(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Import (Packet Sender or library)…</source>
        <translation>导入（Packet Sender 或数据包库）(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Open library…</source>
        <translation>打开数据包库(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save library as…</source>
        <translation>数据包库另存为(&amp;S)…</translation>
    </message>
    <message>
        <source>Packets…</source>
        <translation>数据包…</translation>
    </message>
    <message>
        <source>Show the packet library: saved packets, sent with a double click ({keys})</source>
        <translation>显示数据包库：已保存的数据包，双击即发送（{keys}）</translation>
    </message>
    <message>
        <source>Show the packet library</source>
        <translation>显示数据包库</translation>
    </message>
</context>
<context>
    <name>PacketModel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Protocol</source>
        <translation>协议</translation>
    </message>
    <message>
        <source>Destination</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Payload</source>
        <translation>数据</translation>
    </message>
</context>
<context>
    <name>Panels</name>
    <message>
        <source>UDP Send</source>
        <translation>UDP 发送</translation>
    </message>
    <message>
        <source>UDP Receive</source>
        <translation>UDP 接收</translation>
    </message>
    <message>
        <source>TCP Client</source>
        <translation>TCP 客户端</translation>
    </message>
    <message>
        <source>TCP Server</source>
        <translation>TCP 服务器</translation>
    </message>
    <message>
        <source>File Server</source>
        <translation>文件共享</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Scripts</source>
        <translation>脚本</translation>
    </message>
    <message>
        <source>Relay</source>
        <translation>中继</translation>
    </message>
</context>
<context>
    <name>PayloadBox</name>
    <message>
        <source>Pa&amp;yload</source>
        <translation>发送数据(&amp;Y)</translation>
    </message>
    <message>
        <source>&amp;Send</source>
        <translation>发送(&amp;S)</translation>
    </message>
    <message>
        <source>Send the payload (Ctrl+Return)</source>
        <translation>发送数据（Ctrl+Enter）</translation>
    </message>
    <message>
        <source>Send fi&amp;le…</source>
        <translation>发送文件(&amp;L)…</translation>
    </message>
    <message>
        <source>Send the contents of a file, as is</source>
        <translation>按原样发送文件内容</translation>
    </message>
    <message>
        <source>{path} is not a readable file</source>
        <translation>{path} 不是可读取的文件</translation>
    </message>
    <message>
        <source>Sending {name} ({size})…</source>
        <translation>正在发送 {name}（{size}）…</translation>
    </message>
    <message>
        <source>Send a file</source>
        <translation>发送文件</translation>
    </message>
    <message>
        <source>Not connected: connect to a server first</source>
        <translation>未连接：请先连接服务器</translation>
    </message>
    <message>
        <source>Cannot send: {reason}</source>
        <translation>无法发送：{reason}</translation>
    </message>
</context>
<context>
    <name>PayloadEditor</name>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>Hex</source>
        <translation>十六进制</translation>
    </message>
    <message>
        <source>Escapes</source>
        <translation>转义字符</translation>
    </message>
    <message>
        <source>No EOL</source>
        <translation>无行尾符</translation>
    </message>
    <message>
        <source>LF \n</source>
        <translation>LF \n</translation>
    </message>
    <message>
        <source>CRLF \r\n</source>
        <translation>CRLF \r\n</translation>
    </message>
    <message>
        <source>CR \r</source>
        <translation>CR \r</translation>
    </message>
    <message>
        <source>Payload</source>
        <translation>发送数据</translation>
    </message>
    <message>
        <source>What to send. Text is encoded with the chosen encoding; Hex takes bytes like &apos;48 65 6C 6C 6F&apos; or &apos;0x48,0x65&apos;; Escapes understands \r \n \t \0 \\ and \xNN</source>
        <translation>要发送的内容。文本按所选编码转换为字节；十六进制接受“48 65 6C 6C 6F”或“0x48,0x65”这样的字节；转义字符支持 \r \n \t \0 \\ 和 \xNN</translation>
    </message>
    <message>
        <source>How the payload is written: text, hex bytes or escapes</source>
        <translation>数据的书写格式：文本、十六进制字节或转义字符</translation>
    </message>
    <message>
        <source>Payload format</source>
        <translation>数据格式</translation>
    </message>
    <message>
        <source>The text encoding: UTF-8, GBK for Chinese devices, or any Python codec name</source>
        <translation>文本编码：UTF-8、中文设备常用的 GBK，或任意 Python 编解码器名称</translation>
    </message>
    <message>
        <source>Encoding</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>End of line: appended to text payloads when they are sent</source>
        <translation>行尾符：发送文本数据时附加在末尾</translation>
    </message>
    <message>
        <source>Line ending</source>
        <translation>行尾符</translation>
    </message>
    <message>
        <source>No checksum</source>
        <translation>无校验</translation>
    </message>
    <message>
        <source>Append a checksum to every send (crc16-modbus goes low byte first, as Modbus RTU sends it)</source>
        <translation>每次发送时追加校验（crc16-modbus 低字节在前，与 Modbus RTU 一致）</translation>
    </message>
    <message>
        <source>Checksum</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Save as packet…</source>
        <translation>保存为数据包…</translation>
    </message>
    <message>
        <source>Keep this payload and its destination in the packet library</source>
        <translation>把这段数据及其目标保存到数据包库</translation>
    </message>
    <message>
        <source>Next send: {bytes}</source>
        <translation>下次发送：{bytes}</translation>
    </message>
    <message numerus="yes">
        <source>{count} bytes</source>
        <translation>
            <numerusform>{count} 字节</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PayloadHistory</name>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>The last payloads sent from here (Alt+Up and Alt+Down in the payload)</source>
        <translation>最近从这里发送的数据（在数据框中按 Alt+Up 和 Alt+Down）</translation>
    </message>
    <message>
        <source>Nothing sent yet</source>
        <translation>尚未发送任何数据</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>QrCode</name>
    <message>
        <source>QR code</source>
        <translation>二维码</translation>
    </message>
    <message>
        <source>Start the server to get a QR code</source>
        <translation>启动服务器后显示二维码</translation>
    </message>
    <message>
        <source>Scan this with a phone to open {url}</source>
        <translation>用手机扫码即可打开 {url}</translation>
    </message>
</context>
<context>
    <name>RelayBox</name>
    <message>
        <source>Relay</source>
        <translation>中继</translation>
    </message>
    <message>
        <source>Protocol</source>
        <translation>协议</translation>
    </message>
    <message>
        <source>Relay TCP connections or UDP datagrams</source>
        <translation>中继 TCP 连接或 UDP 数据报</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>启动(&amp;S)</translation>
    </message>
    <message>
        <source>Start relaying (Ctrl+R)</source>
        <translation>开始中继 (Ctrl+R)</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <source>Stop the relay and close every connection (Ctrl+.)</source>
        <translation>停止中继并关闭所有连接 (Ctrl+.)</translation>
    </message>
    <message>
        <source>&amp;Listen on:</source>
        <translation>监听地址(&amp;L)：</translation>
    </message>
    <message>
        <source>Listen &amp;port:</source>
        <translation>监听端口(&amp;P)：</translation>
    </message>
    <message>
        <source>Tar&amp;get host:</source>
        <translation>目标主机(&amp;G)：</translation>
    </message>
    <message>
        <source>Target p&amp;ort:</source>
        <translation>目标端口(&amp;O)：</translation>
    </message>
    <message>
        <source>Protocol:</source>
        <translation>协议：</translation>
    </message>
</context>
<context>
    <name>RelayCounters</name>
    <message>
        <source>Not relaying</source>
        <translation>未在中继</translation>
    </message>
    <message numerus="yes">
        <source>{count} datagrams</source>
        <translation>
            <numerusform>{count} 个数据报</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} chunks</source>
        <translation>
            <numerusform>{count} 个数据块</numerusform>
        </translation>
    </message>
    <message>
        <source>{direction} {units}, {size}, {dropped} dropped, {duplicated} duplicated</source>
        <translation>{direction} {units}，{size}，丢弃 {dropped}，重复 {duplicated}</translation>
    </message>
</context>
<context>
    <name>RelayPanel</name>
    <message>
        <source>Faults (applied at once)</source>
        <translation>故障注入（立即生效）</translation>
    </message>
    <message>
        <source>Us&amp;e TLS</source>
        <translation>使用 TLS(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Use TLS</source>
        <translation>使用 TLS(&amp;U)</translation>
    </message>
    <message>
        <source>Show more tabs</source>
        <translation>显示更多标签页</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>TLS to clients</source>
        <translation>对客户端使用 TLS</translation>
    </message>
    <message>
        <source>TLS to the target</source>
        <translation>对目标使用 TLS</translation>
    </message>
    <message>
        <source>Opening port {port}…</source>
        <translation>正在打开端口 {port}…</translation>
    </message>
    <message>
        <source>Select one or more connections in the list first</source>
        <translation>请先在列表中选择一个或多个连接</translation>
    </message>
    <message>
        <source>Relaying {address} to {target}</source>
        <translation>正在把 {address} 中继到 {target}</translation>
    </message>
    <message>
        <source>dropped</source>
        <translation>已丢弃</translation>
    </message>
    <message>
        <source>duplicated</source>
        <translation>已重复</translation>
    </message>
    <message>
        <source>client connected</source>
        <translation>客户端已连接</translation>
    </message>
    <message>
        <source>target connected</source>
        <translation>目标已连接</translation>
    </message>
    <message>
        <source>client</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>{side} closed: {reason}</source>
        <translation>{side}已关闭：{reason}</translation>
    </message>
    <message>
        <source>Stopped relaying {address}</source>
        <translation>已停止中继 {address}</translation>
    </message>
    <message>
        <source>Relay {address} → {target}</source>
        <translation>中继 {address} → {target}</translation>
    </message>
</context>
<context>
    <name>RepeatSend</name>
    <message>
        <source>until stopped</source>
        <translation>直到停止</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> 毫秒</translation>
    </message>
    <message>
        <source>Start repeating</source>
        <translation>开始重复发送</translation>
    </message>
    <message>
        <source>Send the payload again and again; while it runs, click to stop</source>
        <translation>反复发送这段数据；运行时点击即可停止</translation>
    </message>
    <message>
        <source>How many times to send (0: until stopped)</source>
        <translation>发送多少次（0：直到停止）</translation>
    </message>
    <message>
        <source>Repeat count</source>
        <translation>重复次数</translation>
    </message>
    <message>
        <source>Pause between two sends; 0 sends as fast as the connection takes them</source>
        <translation>两次发送之间的间隔；0 表示以连接能接受的最快速度发送</translation>
    </message>
    <message>
        <source>Repeat interval</source>
        <translation>重复间隔</translation>
    </message>
    <message>
        <source>Start sending the payload repeatedly</source>
        <translation>开始重复发送这段数据</translation>
    </message>
    <message>
        <source>Count:</source>
        <translation>次数：</translation>
    </message>
    <message>
        <source>Interval:</source>
        <translation>间隔：</translation>
    </message>
    <message>
        <source>Nothing to send to: connect or start first</source>
        <translation>没有发送对象：请先连接或启动</translation>
    </message>
    <message>
        <source>Stop repeat ({sent}/{total})</source>
        <translation>停止重复（{sent}/{total}）</translation>
    </message>
    <message>
        <source>Repeat…</source>
        <translation>重复发送…</translation>
    </message>
</context>
<context>
    <name>ReplyBox</name>
    <message>
        <source>Automatic reply</source>
        <translation>自动回复</translation>
    </message>
    <message>
        <source>Reply mode</source>
        <translation>回复方式</translation>
    </message>
    <message>
        <source>No automatic reply</source>
        <translation>不自动回复</translation>
    </message>
    <message>
        <source>Echo what each client sends</source>
        <translation>原样回显客户端发来的数据</translation>
    </message>
    <message>
        <source>Reply with a fixed text</source>
        <translation>回复固定内容</translation>
    </message>
    <message>
        <source>What the server sends back on its own; changes apply at once</source>
        <translation>服务器自动回发的内容；修改立即生效</translation>
    </message>
    <message>
        <source>Fixed reply</source>
        <translation>固定回复</translation>
    </message>
</context>
<context>
    <name>RoundTrips</name>
    <message>
        <source> · rtt {ms} ms</source>
        <translation> · 往返 {ms} ms</translation>
    </message>
    <message>
        <source> · rtt min/median/max {low}/{median}/{high} ms</source>
        <translation> · 往返 最小/中位/最大 {low}/{median}/{high} ms</translation>
    </message>
</context>
<context>
    <name>RulesTable</name>
    <message>
        <source>Reply rules</source>
        <translation>应答规则</translation>
    </message>
    <message>
        <source>On</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Match</source>
        <translation>匹配</translation>
    </message>
    <message>
        <source>Pattern</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>应答</translation>
    </message>
    <message>
        <source>The first enabled rule that matches a message answers it; other messages get the automatic reply. Reply: escapes like \r\n, {{1}} or {{name}} from regex groups, hex: for bytes</source>
        <translation>第一条匹配消息的已启用规则负责应答；其他消息使用自动应答。应答内容可用 \r\n 等转义、正则分组的 {{1}} 或 {{name}}，以及 hex: 表示字节</translation>
    </message>
    <message>
        <source>Add rule</source>
        <translation>添加规则</translation>
    </message>
    <message>
        <source>Add a rule at the end (the first match answers)</source>
        <translation>在末尾添加一条规则（第一条匹配的规则应答）</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Remove the selected rules</source>
        <translation>删除选中的规则</translation>
    </message>
    <message>
        <source>From a script…</source>
        <translation>从脚本生成…</translation>
    </message>
    <message>
        <source>Mock a device: add a rule for each send of a recorded script, answering with the reply that followed it</source>
        <translation>模拟设备：为录制脚本中的每次发送添加一条规则，用其后的应答作答</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>each line</source>
        <translation>每一行</translation>
    </message>
    <message>
        <source>each chunk received</source>
        <translation>每次收到的数据块</translation>
    </message>
    <message>
        <source>CRLF lines</source>
        <translation>CRLF 行</translation>
    </message>
    <message>
        <source>LF, CRLF or CR lines</source>
        <translation>LF、CRLF 或 CR 行</translation>
    </message>
    <message>
        <source>1-byte length first</source>
        <translation>1 字节长度前缀</translation>
    </message>
    <message>
        <source>2-byte length first (big-endian)</source>
        <translation>2 字节长度前缀（大端）</translation>
    </message>
    <message>
        <source>2-byte length first (little-endian)</source>
        <translation>2 字节长度前缀（小端）</translation>
    </message>
    <message>
        <source>4-byte length first (big-endian)</source>
        <translation>4 字节长度前缀（大端）</translation>
    </message>
    <message>
        <source>4-byte length first (little-endian)</source>
        <translation>4 字节长度前缀（小端）</translation>
    </message>
    <message>
        <source>What a rule sees</source>
        <translation>规则匹配的单位</translation>
    </message>
    <message>
        <source>Rules match each message of a client&apos;s stream: automatic takes lines, or chunks as they arrive when a rule is hex. Or type a framing: {specs}</source>
        <translation>规则匹配客户端数据流中的每条消息：“自动”按行划分，有十六进制规则时按收到的数据块。也可输入分帧方式：{specs}</translation>
    </message>
    <message>
        <source>Rules see: {problem}</source>
        <translation>规则匹配单位：{problem}</translation>
    </message>
    <message>
        <source>Rules see:</source>
        <translation>规则匹配：</translation>
    </message>
    <message>
        <source>Match kind</source>
        <translation>匹配方式</translation>
    </message>
    <message>
        <source>exact, contains, prefix, suffix, regex, or hex bytes (?? = any)</source>
        <translation>exact 完全相同、contains 包含、prefix 前缀、suffix 后缀、regex 正则，或 hex 字节（?? 表示任意字节）</translation>
    </message>
    <message>
        <source>Rules from a recorded script</source>
        <translation>从录制的脚本生成规则</translation>
    </message>
    <message>
        <source>Scripts (*.toml)</source>
        <translation>脚本 (*.toml)</translation>
    </message>
    <message>
        <source>Rule {row}: {problem}</source>
        <translation>规则 {row}：{problem}</translation>
    </message>
</context>
<context>
    <name>Runner</name>
    <message>
        <source>network error: {reason}</source>
        <translation>网络错误：{reason}</translation>
    </message>
    <message>
        <source>internal error ({kind}): {reason}</source>
        <translation>内部错误（{kind}）：{reason}</translation>
    </message>
</context>
<context>
    <name>SaveBox</name>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>The folder the file is saved in</source>
        <translation>文件保存到的文件夹</translation>
    </message>
    <message>
        <source>Save folder</source>
        <translation>保存文件夹</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>Choose the folder to save in</source>
        <translation>选择保存文件夹</translation>
    </message>
    <message>
        <source>&amp;Download</source>
        <translation>下载(&amp;D)</translation>
    </message>
    <message>
        <source>Download the file the URL names (Ctrl+R)</source>
        <translation>下载地址所指的文件（Ctrl+R）</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Stop the download; the part already saved is kept for Resume (Ctrl+.)</source>
        <translation>停止下载；已保存的部分会保留，可稍后续传（Ctrl+.）</translation>
    </message>
    <message>
        <source>R&amp;esume</source>
        <translation>续传(&amp;E)</translation>
    </message>
    <message>
        <source>Continue the interrupted download from where it stopped</source>
        <translation>从中断处继续下载</translation>
    </message>
    <message>
        <source>Upload f&amp;iles…</source>
        <translation>上传文件(&amp;I)…</translation>
    </message>
    <message>
        <source>Send files to the server in the URL field (one that takes uploads); dropping files on this panel does the same. An interrupted upload continues where it stopped, and the server checks each file&apos;s SHA-256</source>
        <translation>把文件发送到 URL 栏中的服务器（需接受上传）；把文件拖放到此面板也一样。中断的上传会从停下处继续，服务器会校验每个文件的 SHA-256</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>下载进度</translation>
    </message>
    <message>
        <source>F&amp;older:</source>
        <translation>文件夹(&amp;O)：</translation>
    </message>
    <message>
        <source>Save downloads in</source>
        <translation>下载保存到</translation>
    </message>
    <message>
        <source>The folder {folder} does not exist: choose another one</source>
        <translation>文件夹 {folder} 不存在：请另选一个</translation>
    </message>
    <message>
        <source>Cannot save files in the folder {folder}: choose another one</source>
        <translation>无法在文件夹 {folder} 中保存文件：请另选一个</translation>
    </message>
    <message>
        <source>{eta} left</source>
        <translation>剩余 {eta}</translation>
    </message>
    <message>
        <source>✓ SHA-256 verified</source>
        <translation>✓ SHA-256 校验通过</translation>
    </message>
    <message>
        <source>The file matches the checksum the server announced</source>
        <translation>文件与服务器公布的校验值一致</translation>
    </message>
    <message>
        <source>Not verified: the classic raw protocol carries no checksum</source>
        <translation>未校验：经典原始协议不提供校验值</translation>
    </message>
    <message>
        <source>Not verified: the server sent no checksum</source>
        <translation>未校验：服务器没有提供校验值</translation>
    </message>
    <message>
        <source>Compare the SHA-256 below with the one the sender sees</source>
        <translation>请将下面的 SHA-256 与发送方看到的值进行核对</translation>
    </message>
    <message>
        <source>SHA-256 of the saved file</source>
        <translation>已保存文件的 SHA-256</translation>
    </message>
</context>
<context>
    <name>ScriptsPanel</name>
    <message>
        <source>a message of {size} bytes is longer than the log keeps, so it cannot be replayed exactly</source>
        <translation>一条 {size} 字节的消息超出了日志保留的长度，无法原样重放</translation>
    </message>
    <message>
        <source>Save this conversation as a script that replays it (swb run, Scripts)</source>
        <translation>将这段会话保存为可重放的脚本（swb run、脚本页面）</translation>
    </message>
    <message>
        <source>Nothing was sent yet, so there is no conversation to save</source>
        <translation>尚未发送任何内容，没有可保存的会话</translation>
    </message>
    <message>
        <source>Save the conversation as a script</source>
        <translation>将会话另存为脚本</translation>
    </message>
    <message>
        <source>Saved the conversation as {path}</source>
        <translation>已将会话保存为 {path}</translation>
    </message>
    <message>
        <source>a .toml script file (optional)</source>
        <translation>.toml 脚本文件（可选）</translation>
    </message>
    <message>
        <source>Script file</source>
        <translation>脚本文件</translation>
    </message>
    <message>
        <source>Where Save writes the script (also the name in reports)</source>
        <translation>保存脚本的位置（也是报告中的名称）</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>Load a .toml script into the editor</source>
        <translation>将 .toml 脚本载入编辑器</translation>
    </message>
    <message>
        <source>Save lo&amp;g as script…</source>
        <translation>另存为脚本(&amp;G)…</translation>
    </message>
    <message>
        <source>Save the script to the file named on the left</source>
        <translation>将脚本保存到左侧指定的文件</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Script</source>
        <translation>脚本</translation>
    </message>
    <message>
        <source>[connection] then [[step]] tables: send / send_hex, expect / expect_hex, delay</source>
        <translation>先写 [connection]，再写 [[step]] 表：send / send_hex、expect / expect_hex、delay</translation>
    </message>
    <message>
        <source>NAME=VALUE; NAME=VALUE (for {{NAME}} in steps)</source>
        <translation>名称=值; 名称=值（用于步骤中的 {{NAME}}）</translation>
    </message>
    <message>
        <source>Variables</source>
        <translation>变量</translation>
    </message>
    <message>
        <source>Values for {{NAME}} in the steps, as swb run --var gives</source>
        <translation>步骤中 {{NAME}} 的值，与 swb run --var 相同</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>Run the script (Ctrl+R)</source>
        <translation>运行脚本 (Ctrl+R)</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <source>Stop the script (Ctrl+.)</source>
        <translation>停止脚本 (Ctrl+.)</translation>
    </message>
    <message>
        <source>Variables:</source>
        <translation>变量：</translation>
    </message>
    <message>
        <source>Open a script</source>
        <translation>打开脚本</translation>
    </message>
    <message>
        <source>Scripts (*.toml);;All files (*)</source>
        <translation>脚本 (*.toml);;所有文件 (*)</translation>
    </message>
    <message>
        <source>a script may be at most 1 MiB</source>
        <translation>脚本最大为 1 MiB</translation>
    </message>
    <message>
        <source>Cannot open {path}: {reason}</source>
        <translation>无法打开 {path}：{reason}</translation>
    </message>
    <message>
        <source>Opened {path}</source>
        <translation>已打开 {path}</translation>
    </message>
    <message>
        <source>Save the script</source>
        <translation>保存脚本</translation>
    </message>
    <message>
        <source>Scripts (*.toml)</source>
        <translation>脚本 (*.toml)</translation>
    </message>
    <message>
        <source>Cannot save {path}: {reason}</source>
        <translation>无法保存 {path}：{reason}</translation>
    </message>
    <message>
        <source>&amp;New</source>
        <translation>新建(&amp;N)</translation>
    </message>
    <message>
        <source>Start again from the example script (not saved yet)</source>
        <translation>从示例脚本重新开始(尚未保存)</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>已保存 {path}</translation>
    </message>
    <message>
        <source>{item!r} must look like NAME=VALUE</source>
        <translation>{item!r} 应写成 名称=值</translation>
    </message>
    <message>
        <source>Running {name} against {host}:{port} ({protocol})…</source>
        <translation>正在对 {host}:{port} ({protocol}) 运行 {name}…</translation>
    </message>
    <message>
        <source>{matched} of {total} expectations matched, {steps} steps in {ms} ms</source>
        <translation>{total} 个期望中 {matched} 个匹配，{steps} 个步骤，用时 {ms} ms</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Every expectation matched</source>
        <translation>所有期望均已匹配</translation>
    </message>
    <message>
        <source>Running a script</source>
        <translation>正在运行脚本</translation>
    </message>
</context>
<context>
    <name>SecurityGroup</name>
    <message>
        <source>Security</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>HTTPS: files travel encrypted. Browsers warn about the self-signed certificate; compare its fingerprint with the one below.</source>
        <translation>HTTPS：文件加密传输。浏览器会对自签名证书发出警告，请与下方的证书指纹核对。</translation>
    </message>
    <message>
        <source>Plain HTTP: files travel unencrypted, like with any web server without TLS.</source>
        <translation>普通 HTTP：文件以明文传输，与任何未启用 TLS 的网页服务器一样。</translation>
    </message>
</context>
<context>
    <name>SendBox</name>
    <message>
        <source>Pa&amp;yload</source>
        <translation>发送数据(&amp;Y)</translation>
    </message>
    <message>
        <source>Send to s&amp;elected</source>
        <translation>发送到选中(&amp;E)</translation>
    </message>
    <message>
        <source>Send the payload to the selected clients (Ctrl+Return)</source>
        <translation>向选中的客户端发送数据（Ctrl+Enter）</translation>
    </message>
    <message>
        <source>Send to a&amp;ll</source>
        <translation>发送到全部(&amp;L)</translation>
    </message>
    <message>
        <source>Send the payload to every connected client</source>
        <translation>向所有已连接的客户端发送数据</translation>
    </message>
    <message numerus="yes">
        <source>{count} clients</source>
        <translation>
            <numerusform>{count} 个客户端</numerusform>
        </translation>
    </message>
    <message>
        <source>Select one or more clients in the list first</source>
        <translation>请先在列表中选择一个或多个客户端</translation>
    </message>
    <message>
        <source>No client is connected, so nothing was sent</source>
        <translation>没有已连接的客户端，未发送任何数据</translation>
    </message>
    <message>
        <source>Sent {size} to {clients}</source>
        <translation>已向 {clients}发送 {size}</translation>
    </message>
    <message>
        <source>The server is not running: start it first</source>
        <translation>服务器未运行：请先启动</translation>
    </message>
</context>
<context>
    <name>SendingBox</name>
    <message>
        <source>Sending</source>
        <translation>发送设置</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>次数</translation>
    </message>
    <message>
        <source>How many datagrams to send</source>
        <translation>要发送的数据报个数</translation>
    </message>
    <message>
        <source>Interval</source>
        <translation>间隔</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> 毫秒</translation>
    </message>
    <message>
        <source>Pause between two datagrams when sending more than one</source>
        <translation>连续发送多个数据报时，相邻两次发送的间隔</translation>
    </message>
    <message>
        <source>Wait for a reply</source>
        <translation>等待回复</translation>
    </message>
    <message>
        <source>After sending, show the reply and who sent it</source>
        <translation>发送后显示回复内容及回复方</translation>
    </message>
    <message>
        <source>Reply timeout</source>
        <translation>回复超时</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>How long to wait for a reply</source>
        <translation>等待回复的时长</translation>
    </message>
    <message>
        <source>&amp;Keep open</source>
        <translation>保持打开(&amp;K)</translation>
    </message>
    <message>
        <source>Keep the socket open after sending: show every reply that arrives, send again from the same port, until Stop</source>
        <translation>发送后保持套接字打开：显示收到的每个回复，可从同一端口再次发送，直到点击停止</translation>
    </message>
    <message>
        <source>&amp;Count:</source>
        <translation>次数(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;Interval:</source>
        <translation>间隔(&amp;I)：</translation>
    </message>
</context>
<context>
    <name>ServeBox</name>
    <message>
        <source>Serve</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Classic ra&amp;w protocol too</source>
        <translation>同时支持经典原始协议(&amp;W)</translation>
    </message>
    <message>
        <source>Also answer the classic raw protocol on the same port: a client sends a bare file name and gets the bytes (for the classic Python download scripts); changes apply to new connections at once</source>
        <translation>在同一端口上也响应经典原始协议：客户端只发送文件名即可收到文件内容（适用于经典的 Python 下载脚本）；修改对新连接立即生效</translation>
    </message>
    <message>
        <source>Announce on the local &amp;network</source>
        <translation>在局域网上宣告(&amp;N)</translation>
    </message>
    <message>
        <source>While sharing, tell the computers on this network (mDNS/DNS-SD, like printers do) this computer&apos;s name, the address and port, and whether TLS is on, so that their Download panel and swb discover find the share without typing</source>
        <translation>共享期间，向本网络中的计算机（像打印机那样使用 mDNS/DNS-SD）告知本机名称、地址和端口以及是否启用 TLS，让它们的下载面板和 swb discover 无需输入即可找到本共享</translation>
    </message>
    <message>
        <source>Accept &amp;uploads into:</source>
        <translation>接收上传到(&amp;U)：</translation>
    </message>
    <message>
        <source>Let others send files into this folder (the share page&apos;s form, curl -T, swb put); a name that exists is never overwritten</source>
        <translation>允许他人把文件发送到此文件夹（共享页面的表单、curl -T、swb put）；已存在的文件名绝不会被覆盖</translation>
    </message>
    <message>
        <source>Folder for received files</source>
        <translation>存放收到文件的文件夹</translation>
    </message>
    <message>
        <source>Share password</source>
        <translation>共享密码</translation>
    </message>
    <message>
        <source>none: anyone who can reach the port</source>
        <translation>无：能连到此端口的人都可访问</translation>
    </message>
    <message>
        <source>A password for everything shared (any user name): browsers ask for it, swb get and swb put read SWB_PASSWORD. It turns the classic raw protocol off, and without TLS it travels in clear text</source>
        <translation>保护全部共享内容的密码（用户名任意）：浏览器会询问密码，swb get 和 swb put 读取 SWB_PASSWORD。设置密码会关闭经典 raw 协议；未启用 TLS 时密码以明文传输</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>启动(&amp;S)</translation>
    </message>
    <message>
        <source>Start sharing the files in the list (Ctrl+R)</source>
        <translation>开始共享列表中的文件（Ctrl+R）</translation>
    </message>
    <message>
        <source>St&amp;op</source>
        <translation>停止(&amp;O)</translation>
    </message>
    <message>
        <source>Stop the server and every transfer (Ctrl+.)</source>
        <translation>停止服务器及所有传输（Ctrl+.）</translation>
    </message>
    <message>
        <source>Addr&amp;ess:</source>
        <translation>地址(&amp;E)：</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>Re&amp;quire password:</source>
        <translation>需要密码(&amp;Q)：</translation>
    </message>
    <message>
        <source>Announced on the local network as “{name}”.</source>
        <translation>已在局域网上以“{name}”宣告。</translation>
    </message>
    <message>
        <source>Without TLS the password travels in clear: anyone on the way can read it.</source>
        <translation>未启用 TLS 时密码以明文传输：途经网络上的任何人都能读到它。</translation>
    </message>
    <message>
        <source>Without TLS uploaded files travel in clear: anyone on the way can read them.</source>
        <translation>未启用 TLS 时上传的文件以明文传输：途经网络上的任何人都能读到它们。</translation>
    </message>
    <message>
        <source>Only programs on this computer can connect to {address}.</source>
        <translation>只有本机上的程序可以连接 {address}。</translation>
    </message>
    <message>
        <source>Anyone on your network can connect; the list is empty, so there is nothing to download yet.</source>
        <translation>网络中的任何人都可以连接；列表为空，目前没有可下载的文件。</translation>
    </message>
    <message>
        <source>Anyone on your network can download the 1 file in this list.</source>
        <translation>网络中的任何人都可以下载列表中的这 1 个文件。</translation>
    </message>
    <message numerus="yes">
        <source>Anyone on your network can download the {count} files in this list.</source>
        <translation>
            <numerusform>网络中的任何人都可以下载列表中的这 {count} 个文件。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ServerBox</name>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Connect timeout</source>
        <translation>连接超时</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Give up connecting after this long</source>
        <translation>超过此时间仍未连上则放弃</translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation>连接(&amp;C)</translation>
    </message>
    <message>
        <source>Connect to the server (Ctrl+R)</source>
        <translation>连接服务器（Ctrl+R）</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>断开(&amp;D)</translation>
    </message>
    <message>
        <source>Close the connection (Ctrl+.)</source>
        <translation>关闭连接（Ctrl+.）</translation>
    </message>
    <message>
        <source>H&amp;ost:</source>
        <translation>主机(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>T&amp;imeout:</source>
        <translation>超时(&amp;I)：</translation>
    </message>
</context>
<context>
    <name>ServerCounters</name>
    <message>
        <source>{clients} connected · {total} in all · received {received} · sent {sent}</source>
        <translation>已连接 {clients} · 累计 {total} 个 · 已接收 {received} · 已发送 {sent}</translation>
    </message>
    <message>
        <source> · {refused} refused: limit {cap}</source>
        <translation> · 已拒绝 {refused} 个：上限 {cap}</translation>
    </message>
    <message>
        <source>{refused} refused: {cap} clients are connected, the most this server takes at once (Max clients)</source>
        <translation>已拒绝 {refused} 个：已连接 {cap} 个客户端，达到本服务器同时接受的上限（最大客户端数）</translation>
    </message>
    <message>
        <source> · listening on {address}</source>
        <translation> · 正在监听 {address}</translation>
    </message>
</context>
<context>
    <name>ServerSecurityBox</name>
    <message>
        <source>Security</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>Use &amp;TLS</source>
        <translation>使用 TLS(&amp;T)</translation>
    </message>
    <message>
        <source>Serve over TLS (clients must use TLS too)</source>
        <translation>通过 TLS 提供服务（客户端也必须使用 TLS）</translation>
    </message>
    <message>
        <source>Self-signed certificate</source>
        <translation>自签名证书</translation>
    </message>
    <message>
        <source>Load certificate files</source>
        <translation>加载证书文件</translation>
    </message>
    <message>
        <source>A certificate made for this computer on first use, or your own files</source>
        <translation>首次使用时为本机生成的证书，或你自己的证书文件</translation>
    </message>
    <message>
        <source>Certificate</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Certificate (PEM)</source>
        <translation>证书（PEM）</translation>
    </message>
    <message>
        <source>The server&apos;s certificate chain, a PEM file</source>
        <translation>服务器的证书链，PEM 文件</translation>
    </message>
    <message>
        <source>Certificate file</source>
        <translation>证书文件</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the certificate file</source>
        <translation>选择证书文件</translation>
    </message>
    <message>
        <source>Private key (PEM)</source>
        <translation>私钥（PEM）</translation>
    </message>
    <message>
        <source>The certificate&apos;s private key, a PEM file</source>
        <translation>证书的私钥，PEM 文件</translation>
    </message>
    <message>
        <source>Key file</source>
        <translation>私钥文件</translation>
    </message>
    <message>
        <source>Choose the private key file</source>
        <translation>选择私钥文件</translation>
    </message>
    <message>
        <source>SHA-256 fingerprint of the certificate: clients can pin it</source>
        <translation>证书的 SHA-256 指纹：客户端可以固定它</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the certificate fingerprint</source>
        <translation>复制证书指纹</translation>
    </message>
    <message>
        <source>Choose both the certificate file and its key file</source>
        <translation>请同时选择证书文件和对应的私钥文件</translation>
    </message>
    <message>
        <source>Fingerprint shown once running</source>
        <translation>启动后显示证书指纹</translation>
    </message>
    <message>
        <source>Choose a file</source>
        <translation>选择文件</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt *.key);;All files (*)</source>
        <translation>PEM 文件 (*.pem *.crt *.key);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>ShareAddress</name>
    <message>
        <source>A share&apos;s address (http://, https:// or raw://) or host:port; with a file name at the end it names the file to download</source>
        <translation>共享地址（http://、https:// 或 raw://）或 主机:端口；末尾带上文件名即指定要下载的文件</translation>
    </message>
    <message>
        <source>Share URL</source>
        <translation>共享地址</translation>
    </message>
    <message>
        <source>http://192.168.1.5:8000/ or 192.168.1.5:8000</source>
        <translation>http://192.168.1.5:8000/ 或 192.168.1.5:8000</translation>
    </message>
    <message>
        <source>Ask the server which files it shares</source>
        <translation>向服务器查询它共享了哪些文件</translation>
    </message>
    <message>
        <source>&amp;List files</source>
        <translation>列出文件(&amp;L)</translation>
    </message>
    <message>
        <source>Classic &amp;raw protocol</source>
        <translation>经典原始协议(&amp;R)</translation>
    </message>
    <message>
        <source>For servers that only speak the classic protocol (send the name, read the bytes): no list, no resume, no checksum. A raw:// URL implies it</source>
        <translation>用于只支持经典协议（发送文件名，读取字节）的服务器：不能列出文件、不能续传、没有校验。raw:// 地址会自动启用此项</translation>
    </message>
    <message>
        <source>Without TLS the password travels in clear: anyone on the way can read it.</source>
        <translation>未启用 TLS 时密码以明文传输：途经网络上的任何人都能读到它。</translation>
    </message>
    <message>
        <source>How an https:// server&apos;s certificate is checked</source>
        <translation>如何校验 https:// 服务器的证书</translation>
    </message>
    <message>
        <source>&amp;URL:</source>
        <translation>地址(&amp;U)：</translation>
    </message>
</context>
<context>
    <name>ShareBrowser</name>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Files on the server</source>
        <translation>服务器上的文件</translation>
    </message>
    <message>
        <source>The server&apos;s files: pick one to download, or double-click to download it</source>
        <translation>服务器上的文件：选中一个下载，或双击直接下载</translation>
    </message>
    <message>
        <source>U&amp;p</source>
        <translation>上一级(&amp;P)</translation>
    </message>
    <message>
        <source>Show the folder above this one (Backspace)</source>
        <translation>显示上一级文件夹（Backspace）</translation>
    </message>
    <message>
        <source>Dow&amp;nload selected</source>
        <translation>下载选中项(&amp;N)</translation>
    </message>
    <message>
        <source>Download the files and folders selected in the list into the save folder (Ctrl+click or Shift+click picks several)</source>
        <translation>把列表中选中的文件和文件夹下载到保存文件夹（按住 Ctrl 或 Shift 单击可多选）</translation>
    </message>
    <message>
        <source>Do&amp;wnload folder</source>
        <translation>下载此文件夹(&amp;W)</translation>
    </message>
    <message>
        <source>Download the folder shown in the list, with everything in it, as a folder</source>
        <translation>下载列表中显示的文件夹及其全部内容，保存为同名文件夹</translation>
    </message>
    <message>
        <source>Download everythin&amp;g</source>
        <translation>全部下载(&amp;G)</translation>
    </message>
    <message>
        <source>Download everything the server shares, keeping its folders; files already there with the same SHA-256 are not fetched again</source>
        <translation>下载服务器共享的全部内容并保留文件夹结构；本地已有且 SHA-256 相同的文件不再下载</translation>
    </message>
    <message>
        <source>Asking {server} for its files…</source>
        <translation>正在向 {server} 查询文件列表…</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>共享</translation>
    </message>
    <message numerus="yes">
        <source>{count} entries in this folder: double-click a folder to open it, or pick several and Download selected</source>
        <translation>
            <numerusform>此文件夹中有 {count} 项：双击文件夹可打开，或选中多项后点击“下载选中项”</numerusform>
        </translation>
    </message>
    <message>
        <source>The server shares no files right now</source>
        <translation>服务器目前没有共享任何文件</translation>
    </message>
    <message>
        <source>1 file on the server: pick it and Download</source>
        <translation>服务器上有 1 个文件：选中后点击“下载”</translation>
    </message>
    <message numerus="yes">
        <source>{count} files on the server: pick one and Download</source>
        <translation>
            <numerusform>服务器上有 {count} 个文件：选中一个后点击“下载”</numerusform>
        </translation>
    </message>
    <message>
        <source>Listing the files was cancelled</source>
        <translation>已取消列出文件</translation>
    </message>
</context>
<context>
    <name>ShareList</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>computing…</source>
        <translation>计算中…</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>已丢失</translation>
    </message>
    <message>
        <source>{path} is no longer there (moved or deleted): it is not offered until it is back</source>
        <translation>{path} 已不在原处（被移动或删除）：在它回来之前不会提供下载</translation>
    </message>
    <message>
        <source>{count} bytes</source>
        <translation>{count} 字节</translation>
    </message>
    <message>
        <source>The checksum is being computed in the background</source>
        <translation>正在后台计算校验值</translation>
    </message>
    <message>
        <source>Drop files or folders here, or use Add files… below</source>
        <translation>将文件或文件夹拖到这里，或使用下方的“添加文件…”</translation>
    </message>
    <message>
        <source>Shared files</source>
        <translation>共享的文件</translation>
    </message>
    <message>
        <source>The files this server offers; drop files or folders here to share them</source>
        <translation>此服务器提供下载的文件；把文件或文件夹拖到这里即可共享</translation>
    </message>
    <message>
        <source>Add f&amp;iles…</source>
        <translation>添加文件(&amp;I)…</translation>
    </message>
    <message>
        <source>Add fol&amp;der…</source>
        <translation>添加文件夹(&amp;D)…</translation>
    </message>
    <message>
        <source>Choose files to share</source>
        <translation>选择要共享的文件</translation>
    </message>
    <message>
        <source>Share every file in a folder and its subfolders (hidden files and links leading out of the folder are left out)</source>
        <translation>共享文件夹及其子文件夹中的所有文件（隐藏文件和指向文件夹之外的链接除外）</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>Stop sharing the selected files (Delete); the files are not deleted</source>
        <translation>停止共享选中的文件（Delete 键）；文件本身不会被删除</translation>
    </message>
    <message>
        <source>Share files</source>
        <translation>共享文件</translation>
    </message>
    <message>
        <source>Share a folder</source>
        <translation>共享文件夹</translation>
    </message>
    <message>
        <source>Reading {folder}…</source>
        <translation>正在读取 {folder}…</translation>
    </message>
    <message>
        <source>{count} files found</source>
        <translation>已找到 {count} 个文件</translation>
    </message>
    <message>
        <source>No files shared</source>
        <translation>尚未共享任何文件</translation>
    </message>
    <message>
        <source>1 file · {size}</source>
        <translation>1 个文件 · {size}</translation>
    </message>
    <message>
        <source>{count} files · {size}</source>
        <translation>{count} 个文件 · {size}</translation>
    </message>
    <message>
        <source>files: {count}</source>
        <translation>文件数：{count}</translation>
    </message>
    <message>
        <source> · {count} missing</source>
        <translation> · {count} 个已丢失</translation>
    </message>
</context>
<context>
    <name>SharedFilesBox</name>
    <message>
        <source>Shared files</source>
        <translation>共享的文件</translation>
    </message>
    <message>
        <source>Added {name}</source>
        <translation>已添加 {name}</translation>
    </message>
    <message numerus="yes">
        <source>Added {count} files</source>
        <translation>
            <numerusform>已添加 {count} 个文件</numerusform>
        </translation>
    </message>
    <message>
        <source>; skipped {path} ({reason})</source>
        <translation>；已跳过 {path}（{reason}）</translation>
    </message>
    <message numerus="yes">
        <source> and {count} more</source>
        <translation>
            <numerusform> 等 {count} 项</numerusform>
        </translation>
    </message>
    <message>
        <source>{problem} ({added})</source>
        <translation>{problem}（{added}）</translation>
    </message>
    <message numerus="yes">
        <source>{count} files shared last time are gone and left the list: {paths}</source>
        <translation>
            <numerusform>上次共享的 {count} 个文件已不存在，已从列表移除：{paths}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <source>under Security choose “{pin}” and paste its fingerprint, or choose “{insecure}”</source>
        <translation>请在“安全”中选择“{pin}”并粘贴其指纹，或选择“{insecure}”</translation>
    </message>
    <message>
        <source>under Security give that authority&apos;s certificate with “{ca_file}”, choose “{pin}” and paste the fingerprint, or choose “{insecure}”</source>
        <translation>请在“安全”中用“{ca_file}”指定该颁发机构的证书，或选择“{pin}”并粘贴指纹，或选择“{insecure}”</translation>
    </message>
</context>
<context>
    <name>StepLog</name>
    <message>
        <source>Steps</source>
        <translation>步骤</translation>
    </message>
    <message>
        <source>Round</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步骤</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>动作</translation>
    </message>
    <message>
        <source>Bytes</source>
        <translation>字节</translation>
    </message>
    <message>
        <source>Elapsed (ms)</source>
        <translation>耗时 (ms)</translation>
    </message>
    <message>
        <source>RTT (ms)</source>
        <translation>往返 (ms)</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>FAILED</source>
        <translation>失败</translation>
    </message>
</context>
<context>
    <name>TargetBox</name>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Allow broadcast</source>
        <translation>允许广播</translation>
    </message>
    <message>
        <source>Needed to send to a broadcast address such as 255.255.255.255</source>
        <translation>向 255.255.255.255 等广播地址发送时需要勾选</translation>
    </message>
    <message>
        <source>Local port</source>
        <translation>本地端口</translation>
    </message>
    <message>
        <source>Send from this local port (some devices reply only to a fixed port); empty = any</source>
        <translation>从此本地端口发送（有些设备只向固定端口回复）；留空表示任意端口</translation>
    </message>
    <message>
        <source>H&amp;ost:</source>
        <translation>主机(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Local port:</source>
        <translation>本地端口(&amp;L)：</translation>
    </message>
</context>
<context>
    <name>TcpClientPanel</name>
    <message>
        <source>1 TCP connection (to {peer})</source>
        <translation>1 个 TCP 连接（到 {peer}）</translation>
    </message>
    <message>
        <source>Show more tabs</source>
        <translation>显示更多标签页</translation>
    </message>
    <message>
        <source>&amp;New connection</source>
        <translation>新建连接(&amp;N)</translation>
    </message>
    <message>
        <source>Open another connection in a tab of its own (to the same server at first)</source>
        <translation>在新标签页中再开一个连接（初始为同一服务器）</translation>
    </message>
    <message>
        <source>Number of clients</source>
        <translation>客户端数量</translation>
    </message>
    <message>
        <source>How many connections a load test opens</source>
        <translation>压力测试要打开的连接数</translation>
    </message>
    <message>
        <source>Connect &amp;many</source>
        <translation>批量连接(&amp;M)</translation>
    </message>
    <message>
        <source>Load test: open this many connections to the current tab&apos;s server, with its security and connection options, and count how many connect</source>
        <translation>压力测试：按当前标签页的服务器、安全和连接选项打开这么多连接，并统计连上的数量</translation>
    </message>
    <message>
        <source>This system lets the app open {limit} files and sockets: at most {count} clients at once</source>
        <translation>本系统只允许程序打开 {limit} 个文件和套接字：最多同时 {count} 个客户端</translation>
    </message>
    <message>
        <source>TCP connected to {peer}</source>
        <translation>TCP 已连接 {peer}</translation>
    </message>
    <message>
        <source>TCP connecting to {peer}</source>
        <translation>TCP 正在连接 {peer}</translation>
    </message>
    <message numerus="yes">
        <source>{count} TCP connections</source>
        <translation>
            <numerusform>{count} 个 TCP 连接</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TcpServerPanel</name>
    <message>
        <source>Opening port {port}…</source>
        <translation>正在打开端口 {port}…</translation>
    </message>
    <message>
        <source>Listening on {address} with TLS; certificate {fingerprint}</source>
        <translation>正在 {address} 上监听（TLS）；证书指纹 {fingerprint}</translation>
    </message>
    <message>
        <source>Listening on {address}</source>
        <translation>正在监听 {address}</translation>
    </message>
    <message>
        <source>Serving at most {cap} clients at once, not {asked}: {reason}</source>
        <translation>最多同时服务 {cap} 个客户端，而不是 {asked} 个：{reason}</translation>
    </message>
    <message>
        <source>Sent the file {path} ({size})</source>
        <translation>已发送文件 {path}（{size}）</translation>
    </message>
    <message>
        <source>Client connected</source>
        <translation>客户端已连接</translation>
    </message>
    <message>
        <source>Client disconnected: {reason}</source>
        <translation>客户端已断开：{reason}</translation>
    </message>
    <message>
        <source>Stopped listening on {address}</source>
        <translation>已停止监听 {address}</translation>
    </message>
    <message numerus="yes">
        <source>{count} clients connected to the TCP server</source>
        <translation>
            <numerusform>TCP 服务器有 {count} 个客户端已连接</numerusform>
        </translation>
    </message>
    <message>
        <source>TCP server {address}: {clients}</source>
        <translation>TCP 服务器 {address}：{clients}</translation>
    </message>
</context>
<context>
    <name>TrafficLog</name>
    <message>
        <source>Checksum {name}: the row is shorter than the checksum</source>
        <translation>校验 {name}：该行比校验值还短</translation>
    </message>
    <message>
        <source>Checksum {name} fails: the row ends with {received}, expected {expected}</source>
        <translation>校验 {name} 失败：该行末尾为 {received}，应为 {expected}</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Dir</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>Peer</source>
        <translation>对端</translation>
    </message>
    <message>
        <source>Bytes</source>
        <translation>字节</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>in</source>
        <translation>收</translation>
    </message>
    <message>
        <source>out</source>
        <translation>发</translation>
    </message>
    <message>
        <source>info</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>{size} · {ms} ms</source>
        <translation>{size} · {ms} ms</translation>
    </message>
    <message>
        <source>Round trip: {ms} ms from the send to this first reply</source>
        <translation>往返时间：从发送到这第一个回复 {ms} ms</translation>
    </message>
    <message>
        <source>Traffic log</source>
        <translation>收发记录</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Text files (*.txt)</source>
        <translation>文本文件 (*.txt)</translation>
    </message>
    <message>
        <source>Hex, a row a line (*.hex)</source>
        <translation>十六进制，每行一条 (*.hex)</translation>
    </message>
    <message>
        <source>Raw bytes (*.bin)</source>
        <translation>原始字节 (*.bin)</translation>
    </message>
    <message>
        <source>Wireshark captures (*.pcapng)</source>
        <translation>Wireshark 抓包文件 (*.pcapng)</translation>
    </message>
    <message>
        <source>Export log</source>
        <translation>导出记录</translation>
    </message>
    <message>
        <source>The log could not be saved: {reason}</source>
        <translation>无法保存记录：{reason}</translation>
    </message>
    <message>
        <source>Lines with time and peer (*.txt)</source>
        <translation>带时间和对端的文本行 (*.txt)</translation>
    </message>
    <message>
        <source>Receive to file</source>
        <translation>接收转向文件</translation>
    </message>
    <message>
        <source>Receive to file stopped: {reason}</source>
        <translation>接收转向文件已停止：{reason}</translation>
    </message>
    <message>
        <source>Go to offset</source>
        <translation>跳转到偏移</translation>
    </message>
    <message>
        <source>Offset in hex (138000), or in decimal after # (#1277952):</source>
        <translation>十六进制偏移（138000），或 # 后跟十进制（#1277952）：</translation>
    </message>
    <message>
        <source>{text} is not an offset of the {size} bytes shown.</source>
        <translation>{text} 不是所显示的 {size} 字节中的偏移。</translation>
    </message>
    <message>
        <source>Receiving to {name}: {size}</source>
        <translation>正在接收到 {name}：{size}</translation>
    </message>
    <message>
        <source>{text} ({missed} not seen: the window fell behind)</source>
        <translation>{text}（{missed} 未收录：窗口跟不上）</translation>
    </message>
    <message numerus="yes">
        <source>{count} rows</source>
        <translation>
            <numerusform>{count} 行</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} rows (the latest {limit} are kept)</source>
        <translation>
            <numerusform>{count} 行（仅保留最新的 {limit} 行）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of {text} shown</source>
        <translation>
            <numerusform>显示 {shown} / {text}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{text}, {count} checksum failures</source>
        <translation>
            <numerusform>{text}，{count} 个校验失败</numerusform>
        </translation>
    </message>
    <message>
        <source>Select all</source>
        <translation>全选</translation>
    </message>
    <message>
        <source>Hex dump</source>
        <translation>十六进制转储</translation>
    </message>
    <message>
        <source>The selected rows&apos; bytes: offset, hex and ASCII, 16 bytes a line</source>
        <translation>所选行的字节：偏移、十六进制和 ASCII，每行 16 字节</translation>
    </message>
    <message>
        <source>Raw chunks</source>
        <translation>原始数据块</translation>
    </message>
    <message>
        <source>Lines (LF)</source>
        <translation>按行（LF）</translation>
    </message>
    <message>
        <source>Lines (CRLF)</source>
        <translation>按行（CRLF）</translation>
    </message>
    <message>
        <source>Lines (LF, CRLF or CR)</source>
        <translation>按行（LF、CRLF 或 CR）</translation>
    </message>
    <message>
        <source>Length 1 byte</source>
        <translation>长度前缀 1 字节</translation>
    </message>
    <message>
        <source>Length 2 bytes BE</source>
        <translation>长度前缀 2 字节大端</translation>
    </message>
    <message>
        <source>Length 2 bytes LE</source>
        <translation>长度前缀 2 字节小端</translation>
    </message>
    <message>
        <source>Length 4 bytes BE</source>
        <translation>长度前缀 4 字节大端</translation>
    </message>
    <message>
        <source>Length 4 bytes LE</source>
        <translation>长度前缀 4 字节小端</translation>
    </message>
    <message>
        <source>Length 2 bytes BE, header counted</source>
        <translation>长度前缀 2 字节大端，含头部</translation>
    </message>
    <message>
        <source>Length 2 bytes LE, header counted</source>
        <translation>长度前缀 2 字节小端，含头部</translation>
    </message>
    <message>
        <source>Length 4 bytes BE, header counted</source>
        <translation>长度前缀 4 字节大端，含头部</translation>
    </message>
    <message>
        <source>Length 4 bytes LE, header counted</source>
        <translation>长度前缀 4 字节小端，含头部</translation>
    </message>
    <message>
        <source>Fixed size: 16 bytes (type fixed:N)</source>
        <translation>固定长度：16 字节（可输入 fixed:N）</translation>
    </message>
    <message>
        <source>Delimiter in hex: ETX (type delim:HEX)</source>
        <translation>十六进制分隔符：ETX（可输入 delim:HEX）</translation>
    </message>
    <message>
        <source>{size} bytes were not framed: the window fell behind the stream</source>
        <translation>{size} 字节未分帧：窗口跟不上数据流</translation>
    </message>
    <message>
        <source>Rate graph</source>
        <translation>速率图</translation>
    </message>
    <message>
        <source>Bytes and packets per second, in and out, over the last minutes</source>
        <translation>最近几分钟内每秒收发的字节数和包数</translation>
    </message>
    <message>
        <source>bytes/s</source>
        <translation>字节/秒</translation>
    </message>
    <message>
        <source>packets/s</source>
        <translation>包/秒</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
</context>
<context>
    <name>Transfers</name>
    <message>
        <source>Client</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Dialect</source>
        <translation>协议</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>HTTP</source>
        <translation>HTTP</translation>
    </message>
    <message>
        <source>HTTPS</source>
        <translation>HTTPS</translation>
    </message>
    <message>
        <source>raw</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>raw (TLS)</source>
        <translation>原始（TLS）</translation>
    </message>
    <message>
        <source>running</source>
        <translation>传输中</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>{state}: {reason}</source>
        <translation>{state}：{reason}</translation>
    </message>
    <message>
        <source>{dialect} upload</source>
        <translation>{dialect} 上传</translation>
    </message>
    <message>
        <source>Transfers</source>
        <translation>传输</translation>
    </message>
    <message>
        <source>C&amp;lear finished</source>
        <translation>清除已结束(&amp;L)</translation>
    </message>
    <message>
        <source>Remove the transfers that have ended</source>
        <translation>移除已结束的传输</translation>
    </message>
    <message>
        <source>{running} running · {done} done · {failed} failed · {sent} sent</source>
        <translation>传输中 {running} · 已完成 {done} · 失败 {failed} · 已发送 {sent}</translation>
    </message>
</context>
<context>
    <name>TransfersBox</name>
    <message>
        <source>Transfers</source>
        <translation>传输</translation>
    </message>
    <message>
        <source>&amp;Graph</source>
        <translation>速率图(&amp;G)</translation>
    </message>
    <message>
        <source>Show bytes served per second and transfers started per second</source>
        <translation>显示每秒发送的字节数和每秒开始的传输数</translation>
    </message>
    <message>
        <source>transfers/s</source>
        <translation>传输/秒</translation>
    </message>
    <message>
        <source>Bytes per second served (and received by uploads), and transfers started per second, over the last minutes</source>
        <translation>最近几分钟内每秒发送（及上传接收）的字节数和每秒开始的传输数</translation>
    </message>
</context>
<context>
    <name>UdpListenBox</name>
    <message>
        <source>Listen</source>
        <translation>监听</translation>
    </message>
    <message>
        <source>Multicast group</source>
        <translation>组播组</translation>
    </message>
    <message>
        <source>Join this multicast group to receive what is sent to it</source>
        <translation>加入此组播组，接收发往该组的数据</translation>
    </message>
    <message>
        <source>optional, e.g. 239.1.2.3 or ff12::1</source>
        <translation>可选，例如 239.1.2.3 或 ff12::1</translation>
    </message>
    <message>
        <source>A&amp;ddress:</source>
        <translation>地址(&amp;D)：</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Multicast:</source>
        <translation>组播(&amp;M)：</translation>
    </message>
    <message>
        <source>{group} is not a multicast address (IPv4 224.0.0.0-239.255.255.255, IPv6 ff00::/8)</source>
        <translation>{group} 不是组播地址（IPv4 为 224.0.0.0-239.255.255.255，IPv6 为 ff00::/8）</translation>
    </message>
    <message>
        <source>{group!r} is not an IP address</source>
        <translation>{group!r} 不是 IP 地址</translation>
    </message>
</context>
<context>
    <name>UdpReceivePanel</name>
    <message>
        <source>&amp;Start</source>
        <translation>启动(&amp;S)</translation>
    </message>
    <message>
        <source>Start listening (Ctrl+R)</source>
        <translation>开始监听（Ctrl+R）</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <source>Stop listening (Ctrl+.)</source>
        <translation>停止监听（Ctrl+.）</translation>
    </message>
    <message>
        <source>Opening port {port}…</source>
        <translation>正在打开端口 {port}…</translation>
    </message>
    <message>
        <source>Select a row of the sender to answer in the log</source>
        <translation>请先在日志中选中要回复的发送方所在的行</translation>
    </message>
    <message>
        <source>{peer} is not a host and port</source>
        <translation>{peer} 不是主机和端口</translation>
    </message>
    <message>
        <source>Not listening: start listening on a port first</source>
        <translation>未在监听：请先在某个端口上开始监听</translation>
    </message>
    <message>
        <source>Listening on {address}</source>
        <translation>正在监听 {address}</translation>
    </message>
    <message>
        <source>Stopped listening on {address}</source>
        <translation>已停止监听 {address}</translation>
    </message>
    <message>
        <source>UDP {address}: {count}, {rate}/s</source>
        <translation>UDP {address}：{count}，{rate}/秒</translation>
    </message>
    <message numerus="yes">
        <source>{count} datagrams</source>
        <translation>
            <numerusform>{count} 个数据报</numerusform>
        </translation>
    </message>
    <message>
        <source>{count} · {bytes} · {rate}/s</source>
        <translation>{count} · {bytes} · {rate}/秒</translation>
    </message>
    <message numerus="yes">
        <source> · {count} replied</source>
        <translation>
            <numerusform> · 已回复 {count} 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> · {count} cut short</source>
        <translation>
            <numerusform> · {count} 个被截断</numerusform>
        </translation>
    </message>
    <message>
        <source> · listening on {address}</source>
        <translation> · 正在监听 {address}</translation>
    </message>
</context>
<context>
    <name>UdpSendPanel</name>
    <message>
        <source>Pa&amp;yload</source>
        <translation>发送数据(&amp;Y)</translation>
    </message>
    <message>
        <source>&amp;Send</source>
        <translation>发送(&amp;S)</translation>
    </message>
    <message>
        <source>Send the payload (Ctrl+Return)</source>
        <translation>发送数据（Ctrl+Enter）</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <source>Stop repeating or waiting (Ctrl+.)</source>
        <translation>停止重复发送或等待回复（Ctrl+.）</translation>
    </message>
    <message>
        <source>The open socket sends to {peer}: press Stop to send somewhere else</source>
        <translation>打开的套接字发往 {peer}：要发往别处请先点击停止</translation>
    </message>
    <message>
        <source>Sending to {peer}…</source>
        <translation>正在发送到 {peer}…</translation>
    </message>
    <message>
        <source>Sending to {peer} from port {port}, which UDP Receive holds: replies appear there</source>
        <translation>正在从 UDP 接收占用的端口 {port} 发往 {peer}：回复会显示在 UDP 接收中</translation>
    </message>
    <message>
        <source>{reply} (after {ms} ms)</source>
        <translation>{reply}（{ms} ms 后）</translation>
    </message>
    <message>
        <source>Sent {count} to {peer} from port {port}; replies appear in UDP Receive</source>
        <translation>已从端口 {port} 向 {peer} 发送 {count}；回复显示在 UDP 接收中</translation>
    </message>
    <message>
        <source>Sent {count} to {peer}; no reply within {timeout} s</source>
        <translation>已向 {peer} 发送 {count}；{timeout} 秒内未收到回复</translation>
    </message>
    <message>
        <source>Sent {count} to {peer}; {replies} received. {last}</source>
        <translation>已向 {peer} 发送 {count}；收到 {replies}。{last}</translation>
    </message>
    <message>
        <source>Sent {count} to {peer}</source>
        <translation>已向 {peer} 发送 {count}</translation>
    </message>
    <message>
        <source>1 UDP send in progress</source>
        <translation>1 个 UDP 发送正在进行</translation>
    </message>
    <message>
        <source>Reply from {peer} ({size}): {data}{more}</source>
        <translation>来自 {peer} 的回复（{size}）：{data}{more}</translation>
    </message>
    <message numerus="yes">
        <source>{count} datagrams</source>
        <translation>
            <numerusform>{count} 个数据报</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} replies</source>
        <translation>
            <numerusform>{count} 条回复</numerusform>
        </translation>
    </message>
    <message>
        <source>{sent} sent · {bytes} · {replies}</source>
        <translation>已发送 {sent} · {bytes} · {replies}</translation>
    </message>
    <message>
        <source>UDP socket open to {peer}</source>
        <translation>UDP 套接字已打开，发往 {peer}</translation>
    </message>
    <message>
        <source>UDP sending to {peer}</source>
        <translation>UDP 正在发送到 {peer}</translation>
    </message>
</context>
<context>
    <name>Units</name>
    <message>
        <source>{size}/s</source>
        <translation>{size}/s</translation>
    </message>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} 秒</translation>
    </message>
    <message>
        <source>{minutes} min {seconds:02d} s</source>
        <translation>{minutes} 分 {seconds:02d} 秒</translation>
    </message>
    <message>
        <source>more than 99 h</source>
        <translation>超过 99 小时</translation>
    </message>
    <message>
        <source>{hours} h {minutes:02d} min</source>
        <translation>{hours} 小时 {minutes:02d} 分</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <source>{count} B</source>
        <translation>{count} 字节</translation>
    </message>
</context>
<context>
    <name>UploadJob</name>
    <message>
        <source>Only files can be sent (not folders)</source>
        <translation>只能发送文件（不能发送文件夹）</translation>
    </message>
    <message>
        <source>Uploads go to http:// or https:// shares</source>
        <translation>上传只能发往 http:// 或 https:// 共享</translation>
    </message>
    <message numerus="yes">
        <source>Sending {count} files to {server}…</source>
        <translation>
            <numerusform>正在向 {server} 发送 {count} 个文件…</numerusform>
        </translation>
    </message>
    <message>
        <source>Sent {name} ({size}): the server verified its SHA-256</source>
        <translation>已发送 {name}（{size}）：服务器已校验其 SHA-256</translation>
    </message>
    <message>
        <source>Sending {name}: {progress}</source>
        <translation>正在发送 {name}：{progress}</translation>
    </message>
    <message>
        <source>The upload was stopped: sending the file again continues it</source>
        <translation>上传已停止：再次发送该文件会从停下处继续</translation>
    </message>
</context>
<context>
    <name>WindowMenus</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Actions</source>
        <translation>操作(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Send</source>
        <translation>发送(&amp;S)</translation>
    </message>
    <message>
        <source>S&amp;tart / Connect</source>
        <translation>启动/连接(&amp;T)</translation>
    </message>
    <message>
        <source>St&amp;op / Disconnect</source>
        <translation>停止/断开(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Guide</source>
        <translation>使用指南(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About Socket Workbench</source>
        <translation>关于 Socket 工作台(&amp;A)</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>关于 Qt(&amp;Q)</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Socket Workbench {version}&lt;/h3&gt;&lt;p&gt;Send and receive UDP, talk TCP as a client or a server, and share files.&lt;/p&gt;&lt;p&gt;The same engine runs headless as the &lt;code&gt;swb&lt;/code&gt; command.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Socket 工作台 {version}&lt;/h3&gt;&lt;p&gt;收发 UDP 数据报，作为客户端或服务器进行 TCP 通信，并共享文件。&lt;/p&gt;&lt;p&gt;同一套引擎也可以通过 &lt;code&gt;swb&lt;/code&gt; 命令在无界面环境下运行。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Socket Workbench in five minutes&lt;/h3&gt;&lt;p&gt;Pick a panel on the left (Ctrl+1 to Ctrl+8). Every panel remembers its fields.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;&lt;b&gt;UDP Send&lt;/b&gt;: type the host and port, write the payload as Text, Hex (&lt;code&gt;48 65 6C&lt;/code&gt;) or Escapes (&lt;code&gt;\r\n&lt;/code&gt;, &lt;code&gt;\x00&lt;/code&gt;), and press Send (Ctrl+Return). Count and Interval repeat it; Wait for reply shows the answer; Keep open keeps listening for late replies.&lt;/li&gt;&lt;li&gt;&lt;b&gt;UDP Receive&lt;/b&gt;: choose the address and port (empty = any free port) and press Start (Ctrl+R). Every datagram appears in the log; Auto-reply and the rules answer them, and Send from this port talks back.&lt;/li&gt;&lt;li&gt;&lt;b&gt;TCP Client&lt;/b&gt;: connect to a server, send text, hex or a file, and read what comes back. New connection opens another tab; Connect many opens N for a load test. For TLS tick Use TLS; a self-signed server needs Pin SHA-256 fingerprint (or Insecure).&lt;/li&gt;&lt;li&gt;&lt;b&gt;TCP Server&lt;/b&gt;: listen on a port, see each client, send to one or all, or reply automatically (echo, a fixed text or rules).&lt;/li&gt;&lt;li&gt;&lt;b&gt;File Server&lt;/b&gt;: drop files or folders into the list and press Start; others download them with the Download panel, a browser or curl, from the addresses shown.&lt;/li&gt;&lt;li&gt;&lt;b&gt;Download&lt;/b&gt;: paste a share address, list the files, pick some and download; an interrupted download resumes. Drop files on it to upload them.&lt;/li&gt;&lt;li&gt;&lt;b&gt;Scripts&lt;/b&gt; runs send/expect conversations; &lt;b&gt;Relay&lt;/b&gt; sits between a client and a server and can slow, drop or cut the traffic.&lt;/li&gt;&lt;/ul&gt;&lt;p&gt;Packets… in every send box (Ctrl+Shift+P) keeps named packets. In every log, Framing splits a stream into lines or messages, Find (Ctrl+F) searches and filters, the pane below shows the selected rows as hex, and More copies, exports (also pcapng for Wireshark) or saves what arrives to a file. Ctrl+. stops what the panel runs. The same engine runs headless as the &lt;code&gt;swb&lt;/code&gt; command (&lt;code&gt;swb --help&lt;/code&gt;).&lt;/p&gt;</source>
        <translation>&lt;h3&gt;五分钟上手 Socket Workbench&lt;/h3&gt;&lt;p&gt;在左侧选择一个面板（Ctrl+1 到 Ctrl+8）。每个面板都会记住它的输入。&lt;/p&gt;&lt;ul&gt;&lt;li&gt;&lt;b&gt;UDP 发送&lt;/b&gt;：填写主机和端口，以文本、十六进制（&lt;code&gt;48 65 6C&lt;/code&gt;）或转义（&lt;code&gt;\r\n&lt;/code&gt;、&lt;code&gt;\x00&lt;/code&gt;）写出要发送的数据，然后按“发送”（Ctrl+Return）。“次数”和“间隔”用于重复发送；“等待回复”会显示对方的回答；“保持打开”会继续接收迟到的回复。&lt;/li&gt;&lt;li&gt;&lt;b&gt;UDP 接收&lt;/b&gt;：选择地址和端口（留空表示任意空闲端口），按“开始”（Ctrl+R）。每个数据报都会出现在日志中；“自动回复”和规则会应答它们，“从此端口发送”可以回发数据。&lt;/li&gt;&lt;li&gt;&lt;b&gt;TCP 客户端&lt;/b&gt;：连接服务器，发送文本、十六进制或文件，并查看收到的内容。“新建连接”会打开另一个标签页；“批量连接”可一次打开 N 个连接做压力测试。使用 TLS 时勾选“使用 TLS”；自签名的服务器需要“固定 SHA-256 指纹”（或“不安全”）。&lt;/li&gt;&lt;li&gt;&lt;b&gt;TCP 服务器&lt;/b&gt;：在端口上监听，查看每个客户端，向其中一个或全部发送，或自动回复（回显、固定文本或规则）。&lt;/li&gt;&lt;li&gt;&lt;b&gt;文件服务器&lt;/b&gt;：把文件或文件夹拖进列表并按“开始”；其他人可以用“下载”面板、浏览器或 curl 从显示的地址下载。&lt;/li&gt;&lt;li&gt;&lt;b&gt;下载&lt;/b&gt;：粘贴共享地址，列出文件，选择若干并下载；中断的下载会续传。把文件拖到此面板上即可上传。&lt;/li&gt;&lt;li&gt;&lt;b&gt;脚本&lt;/b&gt;运行“发送/期望”对话；&lt;b&gt;中继&lt;/b&gt;位于客户端和服务器之间，可以让流量变慢、丢包或断开。&lt;/li&gt;&lt;/ul&gt;&lt;p&gt;每个发送框里的“数据包…”（Ctrl+Shift+P）保存命名的数据包。在每个日志中，“分帧”把数据流切分为行或消息，“查找”（Ctrl+F）用于搜索和筛选，下方窗格以十六进制显示所选的行，“更多”用于复制、导出（也可导出为 Wireshark 的 pcapng）或把收到的数据保存到文件。Ctrl+. 停止当前面板运行的任务。同一引擎也可以用 &lt;code&gt;swb&lt;/code&gt; 命令在无界面环境中运行（&lt;code&gt;swb --help&lt;/code&gt;）。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Next or previous control</source>
        <translation>下一个或上一个控件</translation>
    </message>
    <message>
        <source>Tab / Shift+Tab</source>
        <translation>Tab / Shift+Tab</translation>
    </message>
    <message>
        <source>Go to a labelled field or button</source>
        <translation>跳到带标签的输入框或按钮</translation>
    </message>
    <message>
        <source>Alt + underlined letter</source>
        <translation>Alt + 带下划线的字母</translation>
    </message>
    <message>
        <source>Guide</source>
        <translation>使用指南</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>About Socket Workbench</source>
        <translation>关于 Socket 工作台</translation>
    </message>
</context>
</TS>
