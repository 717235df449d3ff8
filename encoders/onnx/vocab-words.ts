/**
 * Common English words for the generated BERT tokenizer's vocabulary, roughly by frequency.
 * Written for mmalign (no external word list); the tokenizer builder adds characters,
 * continuation pieces and suffixes around them. A TS module rather than a .txt file so it
 * ships inside dist/ with no asset copying.
 */
export const VOCAB_WORDS = `
the of and to a in is it you that he was for on are with as i his they be at one have this from
or had by hot word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make
thing see him two has look more day could go come did number sound no most people my over know
water than call first who may down side been now find any new work part take get place made live
where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move
right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father
head stand own page should country found answer school grow study still learn plant cover food sun
four between state keep eye never last let thought city tree cross farm hard start might story saw
far sea draw left late run while press close night real life few north open seem together
next white children begin got walk example ease paper group always music those both mark often
letter until mile river car feet care second book carry took science eat room friend began idea
fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual
young ready above ever red list though feel talk bird soon body dog family direct pose leave song
measure door product black short numeral class wind question happen complete ship area half rock
order fire south problem piece told knew pass since top whole king space heard best hour better
true during hundred five remember step early hold west ground interest reach fast verb sing listen
six table travel less morning ten simple several vowel toward war lay against pattern slow center
love person money serve appear road map rain rule govern pull cold notice voice unit power town fine
certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct able
pound done beauty drive stood contain front teach week final gave green oh quick develop ocean warm
free minute strong special mind behind clear tail produce fact street inch multiply nothing course
stay wheel full force blue object decide surface deep moon island foot system busy test record boat
common gold possible plane stead dry wonder laugh thousand ago ran check game shape equate miss
brought heat snow tire bring yes distant fill east paint language among grand ball yet wave drop
heart am present heavy dance engine position arm wide sail material size vary settle speak weight
general ice matter circle pair include divide syllable felt perhaps pick sudden count square reason
length represent art subject region energy hunt probable bed brother egg ride cell believe fraction
forest sit race window store summer train sleep prove lone leg exercise wall catch mount wish sky
board joy winter sat written wild instrument kept glass grass cow job edge sign visit past soft fun
bright gas weather month million bear finish happy hope flower clothe strange gone jump baby eight
village meet root buy raise solve metal whether push seven paragraph third shall held hair describe
cook floor either result burn hill safe cat century consider type law bit coast copy phrase silent
tall sand soil roll temperature finger industry value fight lie beat excite natural view sense ear
else quite broke case middle kill son lake moment scale loud spring observe child straight consonant
nation dictionary milk speed method organ pay age section dress cloud surprise quiet stone tiny
climb cool design poor lot experiment bottom key iron single stick flat twenty skin smile crease
hole trade melody trip office receive row mouth exact symbol die least trouble shout except wrote
seed tone join suggest clean break lady yard rise bad blow oil blood touch grew cent mix team wire
cost lost brown wear garden equal sent choose fell fit flow fair bank collect save control decimal
gentle woman captain practice separate difficult doctor please protect noon whose locate ring
character insect caught period indicate radio spoke atom human history effect electric expect crop
modern element hit student corner party supply bone rail imagine provide agree thus capital 
chair danger fruit rich thick soldier process operate guess necessary sharp wing create neighbor
wash bat rather crowd corn compare poem string bell depend meat rub tube famous dollar stream fear
sight thin triangle planet hurry chief colony clock mine tie enter major fresh search send yellow
gun allow print dead spot desert suit current lift rose continue block chart hat sell success
company subtract event particular deal swim term opposite wife shoe shoulder spread arrange camp
invent cotton born determine quart nine truck noise level chance gather shop stretch throw shine
property column molecule select wrong gray repeat require broad prepare salt nose plural anger claim
continent oxygen sugar death pretty skill women season solution magnet silver thank branch match
suffix especially fig afraid huge sister steel discuss forward similar guide experience score apple
bought led pitch coat mass card band rope slip win dream evening condition feed tool total basic
smell valley nor double seat arrive master track parent shore division sheet substance favor connect
post spend chord fat glad original share station dad bread charge proper bar offer segment slave
duck instant market degree populate chick dear enemy reply drink occur support speech nature range
steam motion path liquid log meant quotient teeth shell neck
hello world video audio image frame subtitle text film movie scene camera picture photo sound voice
speaker music song sing singer talk speech dialogue caption translation language english word
sentence question answer yes no okay please thanks thank sorry excuse welcome goodbye bye hi hey
morning afternoon evening night today tomorrow yesterday week weekend month year monday tuesday
wednesday thursday friday saturday sunday january february march april may june july august
september october november december hour minute second clock time date calendar birthday holiday
cat dog bird fish horse cow pig sheep goat chicken duck mouse rabbit lion tiger bear wolf fox deer
monkey elephant giraffe zebra snake frog turtle whale dolphin shark bee ant butterfly spider
car bus train plane boat ship bike bicycle truck taxi road street bridge airport station city town
village country state house home room kitchen bedroom bathroom door window wall floor roof garden
park school university college hospital church office shop store market bank restaurant hotel cafe
table chair bed sofa lamp desk computer phone screen keyboard television radio book magazine
newspaper letter email message internet website online data model network learning machine
system software hardware program code computer science research study test result experiment
food water bread rice meat chicken beef pork egg cheese milk butter apple banana orange grape lemon
tomato potato carrot onion salad soup pizza pasta sandwich cake cookie chocolate coffee tea juice
beer wine sugar salt pepper breakfast lunch dinner meal cook kitchen
red blue green yellow black white brown pink purple orange gray grey gold silver dark light bright
big small large little long short tall high low wide narrow thick thin heavy light fast slow quick
hot cold warm cool new old young good bad best worst better worse happy sad angry afraid tired
beautiful ugly pretty clean dirty easy hard difficult simple strong weak rich poor full empty
man woman boy girl child children baby person people friend family mother father parent brother
sister son daughter husband wife uncle aunt cousin grandmother grandfather teacher student doctor
nurse police officer driver worker farmer artist writer actor actress player team captain king queen
prince princess president government army soldier leader member group company business job work
head face eye eyes ear ears nose mouth lip lips tooth teeth hair neck shoulder arm hand finger leg
knee foot feet heart blood bone skin body brain
run walk jump swim fly drive ride climb dance play sing read write draw paint cook eat drink sleep
wake sit stand lie fall rise open close start stop begin end finish win lose buy sell pay give take
bring send carry hold throw catch push pull cut break fix build make create destroy find lose search
look see watch hear listen speak talk say tell ask answer call shout whisper laugh cry smile think
know believe understand remember forget learn teach study try want need like love hate hope wish feel
is am are was were be been being have has had do does did done go goes went gone come came get got
make made know knew take took see saw give gave find found think thought tell told become became
leave left feel felt put bring begin keep hold write stand hear let mean set meet run pay sit speak
lie lead read grow lose fall send build understand draw break spend cut rise drive buy wear choose
i me my mine myself you your yours yourself he him his himself she her hers herself it its itself we
us our ours ourselves they them their theirs themselves this that these those who whom whose which
what where when why how all any both each few more most other some such no nor not only own same so
than too very can will just should now also then there here about above across after against along
among around at before behind below beneath beside between beyond but by down during except for from
in inside into near of off on onto out outside over past since through throughout till to toward
under until up upon with within without and or because if unless while although though however
therefore yet still already always never often sometimes usually again ever maybe perhaps really
actually probably certainly quite rather almost enough even much many lot lots something anything
nothing everything someone anyone everyone nobody somebody anybody everybody somewhere anywhere
everywhere nowhere one two three four five six seven eight nine ten eleven twelve thirteen fourteen
fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
hundred thousand million billion first second third fourth fifth last next
important different possible public private social political economic national international local
general special personal human natural real true false right wrong left certain clear sure free
available popular common similar major main whole entire single double final early late recent
modern ancient future past present
information problem question issue fact idea reason example point case part place world area
country region life way day thing man woman child government company system program number group
money story lot fact month right study book eye job word business issue side kind head house service
friend father power hour game line end member law car city community name president team minute idea
kid body information back parent face others level office door health person art war history party
result change morning reason research girl guy moment air teacher force education
`;
